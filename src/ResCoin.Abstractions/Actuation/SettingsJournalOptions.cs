namespace ResCoin.Actuation;

/// <summary>Options of a <see cref="SettingsJournal"/>.</summary>
public sealed class SettingsJournalOptions
{
    /// <summary>
    /// How long the originals of a VM that cannot be found (destroyed, undefined, shut off) are kept, so that the VM, if it
    /// comes back with the same UUID, is still restored; after that they are dropped. Default 7 days.
    /// </summary>
    public TimeSpan MissingVmRetention { get; set; } = SettingsJournal.DefaultMissingVmRetention;

    /// <summary>A journal file larger than this is not read (it is quarantined and reported). Default 16 MiB.</summary>
    public long MaxFileBytes { get; set; } = SettingsJournal.DefaultMaxFileBytes;

    /// <summary>The clock (for the missing-VM retention and the quarantine time stamp).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}

/// <summary>Another process holds a settings journal (a second daemon on the same host).</summary>
public sealed class SettingsJournalLockedException : IOException
{
    /// <summary>Creates the exception.</summary>
    public SettingsJournalLockedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public SettingsJournalLockedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public SettingsJournalLockedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a lock file held by a process.</summary>
    /// <param name="lockFile">The lock file.</param>
    /// <param name="holderProcessId">The holder's PID (0 when unknown).</param>
    public SettingsJournalLockedException(string lockFile, int holderProcessId)
        : base(holderProcessId > 0
            ? $"{lockFile} is held by process {holderProcessId}: another ResCoin daemon already owns this host's settings journal; stop it first."
            : $"{lockFile} is held by another process: another ResCoin daemon already owns this host's settings journal; stop it first.")
    {
        LockFile = lockFile;
        HolderProcessId = holderProcessId;
    }

    /// <summary>The lock file.</summary>
    public string? LockFile { get; }

    /// <summary>The PID of the process holding the lock (0 when unknown).</summary>
    public int HolderProcessId { get; }
}
