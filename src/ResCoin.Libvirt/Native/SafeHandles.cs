using Microsoft.Win32.SafeHandles;

namespace ResCoin.Libvirt.Native;

/// <summary>A virConnectPtr, closed with virConnectClose.</summary>
internal sealed class ConnectionHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>Creates an empty handle (the marshaller fills it).</summary>
    public ConnectionHandle()
        : base(ownsHandle: true)
    {
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => NativeMethods.virConnectClose(handle) >= 0;
}

/// <summary>A virDomainPtr, released with virDomainFree.</summary>
internal sealed class DomainHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>Creates an empty handle (the marshaller fills it).</summary>
    public DomainHandle()
        : base(ownsHandle: true)
    {
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle() => NativeMethods.virDomainFree(handle) == 0;
}
