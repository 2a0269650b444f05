using ResCoin.GuestAgent;

namespace ResCoin.GuestAgent.Tests;

public class GuestAgentEndpointTests
{
    [Theory]
    [InlineData("vsock:3", GuestAgentTransport.Vsock, "vsock:3:458")]
    [InlineData("vsock:42:5000", GuestAgentTransport.Vsock, "vsock:42:5000")]
    [InlineData("tcp:192.168.122.10:4588", GuestAgentTransport.Tcp, "tcp:192.168.122.10:4588")]
    [InlineData("guest1.example", GuestAgentTransport.Tcp, "tcp:guest1.example:458")]
    [InlineData("10.0.0.5:99", GuestAgentTransport.Tcp, "tcp:10.0.0.5:99")]
    [InlineData("tcp:[fd00::5]:4589", GuestAgentTransport.Tcp, "tcp:[fd00::5]:4589")]
    public void Parse_ValidText_RoundTripsThroughToString(string text, GuestAgentTransport transport, string canonical)
    {
        GuestAgentEndpoint endpoint = GuestAgentEndpoint.Parse(text);
        Assert.Equal(transport, endpoint.Transport);
        Assert.Equal(canonical, endpoint.ToString());
        Assert.Equal(endpoint, GuestAgentEndpoint.Parse(canonical));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("vsock:abc", "CID 'abc'")]
    [InlineData("vsock:3:x", "vsock port 'x'")]
    [InlineData("vsock:4294967295", "CID")]
    [InlineData("tcp:host:0", "port '0'")]
    [InlineData("tcp:host:70000", "port '70000'")]
    [InlineData("fd00::5", "brackets")]
    [InlineData("tcp::4588", "host is empty")]
    public void TryParse_BadText_GivesOneLineReason(string text, string expected)
    {
        Assert.False(GuestAgentEndpoint.TryParse(text, out _, out string? error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
        Assert.Throws<FormatException>(() => GuestAgentEndpoint.Parse(text));
    }
}
