using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using ResCoin.Libvirt.Native;

namespace ResCoin.Libvirt;

/// <content>Domain handles kept while the domain id holds (no lookup per VM per period).</content>
public sealed partial class LibvirtActuator
{
    /// <summary>
    /// The monitor's facts of this VM from the sample this plan was computed from, and a domain handle kept from an earlier
    /// period when the domain id is still the same (looked up again, by UUID, otherwise). False when there are no such
    /// facts (no monitor sharing them, a VM without UUID, a resource the sample did not measure): the caller then asks
    /// libvirtd as before.
    /// </summary>
    private bool TryGetKnownDomain(ConnectionHandle conn, VmId vm, ResourceSet resources, [NotNullWhen(true)] out DomainHandle? dom, out DomainInfo info, out uint domainId)
    {
        dom = null;
        info = default;
        domainId = 0;
        if (_facts is null || vm.Uuid == Guid.Empty || !_facts.TryGet(vm, _planTimestamp, out DomainFacts.Fact fact) || fact.DomainId == 0
            || (resources.Contains(ResourceKind.Cpu) && fact.Vcpus <= 0)
            || (resources.Contains(ResourceKind.Memory) && (fact.MemoryKiB == 0 || fact.MaxMemoryKiB == 0)))
        {
            return false;
        }

        if (!_known.TryGetValue(vm, out KnownDomain? known) || known.DomainId != fact.DomainId)
        {
            ForgetKnownDomain(vm);
            DomainHandle looked;
            try
            {
                looked = Lv("virDomainLookupByUUID(" + vm.Name + ")", () => LibvirtApi.LookupByUuid(conn, vm.Uuid, vm.Name));
            }
            catch (LibvirtException ex) when (ex.IsDomainGone)
            {
                return false;
            }

            known = new KnownDomain(looked, fact.DomainId);
            _known[vm] = known;
        }

        dom = known.Handle;
        domainId = fact.DomainId;
        info = new DomainInfo
        {
            State = NativeMethods.DomainRunning,
            MaxMemKiB = new CULong((nuint)fact.MaxMemoryKiB),
            MemoryKiB = new CULong((nuint)fact.MemoryKiB),
            VirtCpus = (ushort)Math.Clamp(fact.Vcpus, 0, ushort.MaxValue),
        };
        return true;
    }

    private void ForgetKnownDomain(VmId vm)
    {
        if (_known.Remove(vm, out KnownDomain? known))
        {
            known.Handle.Dispose();
        }
    }

    private void ForgetKnownDomains()
    {
        foreach (KnownDomain known in _known.Values)
        {
            known.Handle.Dispose();
        }

        _known.Clear();
    }

    /// <summary>Frees the kept domain handles of VMs no longer in the plan (only when some vanished: no work otherwise).</summary>
    private void ForgetVanishedDomains(ReadOnlySpan<VmId> vms)
    {
        if (_known.Count <= vms.Length)
        {
            return;
        }

        var present = new HashSet<VmId>(vms.Length);
        foreach (VmId vm in vms)
        {
            present.Add(vm);
        }

        foreach (VmId vm in _known.Keys.ToArray())
        {
            if (!present.Contains(vm))
            {
                ForgetKnownDomain(vm);
            }
        }
    }

    /// <summary>A domain handle kept across periods while the domain id stays the same.</summary>
    private sealed record KnownDomain(DomainHandle Handle, uint DomainId);
}
