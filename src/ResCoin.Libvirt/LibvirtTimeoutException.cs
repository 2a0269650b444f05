namespace ResCoin.Libvirt;

/// <summary>A libvirt call did not return within its deadline (libvirtd hung or very slow), or an earlier one is still stuck.</summary>
public sealed class LibvirtTimeoutException : TimeoutException
{
    /// <summary>Creates the exception.</summary>
    public LibvirtTimeoutException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public LibvirtTimeoutException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public LibvirtTimeoutException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal LibvirtTimeoutException(string operation, TimeSpan deadline)
        : base($"{operation}: libvirtd did not answer within {deadline.TotalSeconds:0.#} s (hung or overloaded); given up")
    {
    }

    internal LibvirtTimeoutException(string operation, string stuckOperation, TimeSpan stuckFor)
        : base($"{operation}: not sent, libvirtd has not answered {stuckOperation} for {stuckFor.TotalSeconds:0.#} s (hung or overloaded)")
    {
    }
}
