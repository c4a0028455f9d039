using Xunit;
using Xunit.Abstractions;

[assembly: TestCollectionOrderer("ActorCompile.Integration.Tests.LongestFirst", "ActorCompile.Integration.Tests")]

namespace ActorCompile.Integration.Tests;

/// <summary>
/// Starts the test classes that take longest first (xunit starts collections in this order, four at a
/// time: xunit.runner.json): the suite shares two cores, and a long class started last ran alone at the end while
/// the other threads had nothing left. The order comes from this machine's runs on 2026-12-07 (seconds of test
/// time per class with four at a time, longest first). A class not named here runs after them, in xunit's
/// order. Only the order changes: every class still runs, each on its own. ClusterHealingTests is not among
/// them: it runs alone after the rest (its collection disables parallelization).
/// </summary>
public sealed class LongestFirst : ITestCollectionOrderer
{
    private static readonly string[] Longest =
    {
        "SupervisionTests", "ResultCacheTests", "WorkerFailureTests", "TrustTests", "TlsRestartTests",
        ClusterCollection.Name, "ShippedToolchainTests", "SealedWorkerTests", "StatusTests", "LocalUserTests",
        "BlobCacheTests", "TlsJoinTests", "InstallTests", "JobSizeTests", "NodeLifecycleTests", "ShippedProberTests",
    };

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.Select((c, i) => (Collection: c, Index: i))
            .OrderBy(c => Rank(c.Collection))
            .ThenBy(c => c.Index)
            .Select(c => c.Collection);

    /// <summary>A class's collection is named "Test collection for NAMESPACE.CLASS"; a shared one by its own name.</summary>
    private static int Rank(ITestCollection collection)
    {
        var name = collection.DisplayName;
        var simple = name[(name.LastIndexOf('.') + 1)..];
        var rank = Array.IndexOf(Longest, simple);
        return rank < 0 ? Longest.Length : rank;
    }
}
