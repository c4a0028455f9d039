using ActorCompile.Protocol.Cluster;

namespace ActorCompile.Node.Cache;

/// <summary>The result cache's settings (actorcompile.cache.*).</summary>
/// <param name="Enabled">off: this node neither looks up nor keeps results for its wrappers, and keeps none for others.</param>
/// <param name="VerifyRate">The share of hits (0 to 1) that are compiled locally instead and compared with the cached result.</param>
/// <param name="Trusted">The networks whose workers' results a coordinator serves (actorcompile.worker.allow: the machines this node deals with).</param>
/// <param name="MaxResultBytes">The largest job (actorcompile.max-job-size): no result may be bigger.</param>
/// <param name="DistrustFor">How long the results of a producer or keeper whose result differed from a local compile are
/// refused here (actorcompile.cache.distrust-for). The evidence is a wrapper's word: it expires rather than condemn a
/// member until this node restarts.</param>
public sealed record CacheSettings(bool Enabled, string Directory, long SizeBytes, double VerifyRate, TimeSpan LookupTimeout, AllowedNetworks Trusted, long MaxResultBytes,
    TimeSpan DistrustFor)
{
    /// <summary>A producer ("host:port") whose results may be served: its address lies in the trusted networks.</summary>
    public bool Admits(string producer)
    {
        var colon = producer.LastIndexOf(':');
        var host = colon > 0 ? producer[..colon] : producer;
        return AllowedNetworks.ParseHost(host) is { } ip && Trusted.Contains(ip);
    }
}
