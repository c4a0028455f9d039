using ActorCompile.Protocol.Messages;

namespace ActorCompile.Node.Status;

/// <summary>
/// The latest report of every member, as the status hub keeps them: a report is kept only for a current
/// member (another member could otherwise make up addresses without end, and nothing would remove them)
/// and only when it is newer than the one kept; a member's report goes when the member does.
/// </summary>
public sealed class NodeReports
{
    private readonly Dictionary<string, NodeReport> _latest = new(StringComparer.Ordinal);

    public int Count => _latest.Count;

    public IEnumerable<NodeReport> All => _latest.Values;

    /// <summary>Keeps <paramref name="report"/> if its address is a member's and it is newer than the one kept; says whether it did.</summary>
    public bool Offer(NodeReport report, Func<string, bool> isMember)
    {
        if (!isMember(report.Address)) return false;
        if (_latest.TryGetValue(report.Address, out var kept) && kept.Sequence > report.Sequence && kept.SentUnixMilliseconds >= report.SentUnixMilliseconds)
            return false;
        _latest[report.Address] = report;
        return true;
    }

    /// <summary>This node's own report, always kept.</summary>
    public void Own(NodeReport report) => _latest[report.Address] = report;

    public void Remove(string address) => _latest.Remove(address);
}
