using System.Globalization;

namespace ResCoin.Libvirt;

/// <summary>A libvirt call failed. Carries libvirt's error code (virErrorNumber), error domain (virErrorDomain) and message.</summary>
public sealed class LibvirtException : Exception
{
    /// <summary>virErrorNumber VIR_ERR_NO_DOMAIN: the domain does not exist (any more).</summary>
    public const int NoDomainCode = 42;

    /// <summary>virErrorNumber VIR_ERR_OPERATION_INVALID: e.g. the domain is not running.</summary>
    public const int OperationInvalidCode = 55;

    /// <summary>Creates an exception with no libvirt error.</summary>
    public LibvirtException()
    {
    }

    /// <summary>Creates an exception with a message and no libvirt error code.</summary>
    /// <param name="message">The message.</param>
    public LibvirtException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public LibvirtException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception for a libvirt error.</summary>
    /// <param name="operation">The libvirt function (and its subject) that failed.</param>
    /// <param name="code">libvirt's virErrorNumber.</param>
    /// <param name="errorDomain">libvirt's virErrorDomain (which part of libvirt raised it).</param>
    /// <param name="libvirtMessage">libvirt's message.</param>
    public LibvirtException(string operation, int code, int errorDomain, string? libvirtMessage)
        : base(string.Create(CultureInfo.InvariantCulture, $"{operation} failed: {libvirtMessage ?? "no libvirt error reported"} (libvirt error {code}, domain {errorDomain})"))
    {
        Operation = operation;
        Code = code;
        ErrorDomain = errorDomain;
        LibvirtMessage = libvirtMessage;
    }

    /// <summary>The operation that failed, when known.</summary>
    public string? Operation { get; }

    /// <summary>libvirt's error code (virErrorNumber); 0 when libvirt reported none.</summary>
    public int Code { get; }

    /// <summary>libvirt's error domain (virErrorDomain: which part of libvirt raised the error).</summary>
    public int ErrorDomain { get; }

    /// <summary>libvirt's own message, when it reported one.</summary>
    public string? LibvirtMessage { get; }

    /// <summary>Whether the domain no longer exists or is no longer running (a VM vanished mid-call).</summary>
    public bool IsDomainGone => Code is NoDomainCode or OperationInvalidCode;
}
