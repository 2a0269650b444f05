namespace ResCoin.Scheduling;

/// <summary>
/// What the credit allocator does with capacity nobody claims when there is no contention
/// (the sum of the estimates fits in the capacity).
/// </summary>
public enum HeadroomPolicy
{
    /// <summary>Leave it unallocated: every VM gets exactly its estimate (the 2014 prototype's behaviour).</summary>
    None = 0,

    /// <summary>
    /// Hand it out in proportion to the templates, so an under-predicted VM is not capped while capacity sits idle
    /// (the default). When every template is zero it is split equally.
    /// </summary>
    ProportionalToTemplate = 1,

    /// <summary>
    /// Hand it out in proportion to the positive credits; when no VM has positive credit, in proportion to the
    /// templates; when those are all zero too, equally.
    /// </summary>
    ProportionalToCredit = 2,
}
