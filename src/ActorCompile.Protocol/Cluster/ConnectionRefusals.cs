using Akka.Actor;
using Akka.Event;

namespace ActorCompile.Protocol.Cluster;

/// <summary>
/// The connections this node's transport refused (see <see cref="AdmittingTransport"/>), by remote IP
/// address, for the status and the log. Bounded: a scan from many addresses counts the addresses beyond
/// <see cref="MaximumAddresses"/> under one entry, and the log gets a line at the 1st, 10th, 100th, ...
/// refusal of an address, not one per connection.
/// </summary>
public sealed class ConnectionRefusals : IExtension
{
    public const int MaximumAddresses = 64;
    public const string OtherAddresses = "other addresses";

    /// <summary>One remote address: how often it was refused, why, and when last.</summary>
    public sealed record Entry(string Address, long Count, string Reason, DateTimeOffset Last);

    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ILoggingAdapter _log;

    public ConnectionRefusals(ExtendedActorSystem system) => _log = Logging.GetLogger(system, typeof(ConnectionRefusals));

    public static ConnectionRefusals Get(ActorSystem system) => system.WithExtension<ConnectionRefusals, ConnectionRefusalsProvider>();

    /// <summary>Counts a refusal and logs it (sparsely, see the class comment).</summary>
    public void Record(string address, string reason)
    {
        long count;
        lock (_gate)
        {
            var key = _entries.ContainsKey(address) || _entries.Count < MaximumAddresses ? address : OtherAddresses;
            count = (_entries.TryGetValue(key, out var old) ? old.Count : 0) + 1;
            _entries[key] = new Entry(key, count, reason, DateTimeOffset.UtcNow);
        }
        if (IsPowerOfTen(count))
            _log.Warning("refused a connection with {0}: {1} ({2} so far)", address, reason, count);
    }

    public IReadOnlyList<Entry> Snapshot()
    {
        lock (_gate) return _entries.Values.OrderBy(e => e.Address, StringComparer.Ordinal).ToArray();
    }

    private static bool IsPowerOfTen(long n)
    {
        while (n >= 10 && n % 10 == 0) n /= 10;
        return n == 1;
    }
}

public sealed class ConnectionRefusalsProvider : ExtensionIdProvider<ConnectionRefusals>
{
    public override ConnectionRefusals CreateExtension(ExtendedActorSystem system) => new(system);
}
