using ResCoin.Libvirt;

namespace ResCoin.Libvirt.Tests;

/// <summary>
/// Entry point used only as a child process by the crash test:
/// <c>dotnet exec ResCoin.Libvirt.Tests.dll crash-helper URI JOURNAL VM</c> caps the VM (0.25 core, 4 MiB/s disk writes),
/// prints "applied" and waits to be killed.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == FaultHelper.Command)
        {
            return await FaultHelper.RunAsync(args);
        }

        if (args.Length != 4 || args[0] != "crash-helper")
        {
            await Console.Error.WriteLineAsync("usage: crash-helper URI JOURNAL VM");
            return 2;
        }

        using var actuator = new LibvirtActuator(new LibvirtOptions { ConnectionUri = args[1], JournalPath = args[2] });
        var plan = new AllocationPlan { Resources = ResourceSet.Cpu | ResourceSet.DiskWrite };
        plan.Add(new VmId(args[3]), new ResourceVector(0.25, 0, 0, 4 * 1024 * 1024), ResourceVector.Fill(double.NaN), ResourceVector.Fill(double.NaN), ResourceVector.Fill(double.NaN));
        await actuator.ApplyAsync(plan, default);
        Console.WriteLine("applied");
        await Task.Delay(Timeout.Infinite);
        return 0;
    }
}
