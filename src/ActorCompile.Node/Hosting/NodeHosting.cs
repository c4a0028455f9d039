using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using ActorCompile.Coordinator;
using ActorCompile.Coordinator.Actors;
using ActorCompile.Node.Cache;
using ActorCompile.Node.Configuration;
using ActorCompile.LocalProtocol.Status;
using ActorCompile.Node.Status;
using ActorCompile.Worker;
using ActorCompile.Worker.Actors;
using ActorCompile.Worker.Execution;

namespace ActorCompile.Node.Hosting;

/// <summary>Akka.Hosting builder extensions for the node's roles.</summary>
public static class NodeHosting
{
    /// <summary>The cluster-wide status view every node runs (/user/status).</summary>
    public static AkkaConfigurationBuilder WithStatusHub(this AkkaConfigurationBuilder builder, ResultStore? results, SecurityStatus security) =>
        builder.WithActors((system, registry) => registry.Register<StatusHub>(system.ActorOf(StatusHub.Props(results, security), "status")));

    /// <summary>The node's part of the cluster's result cache (/user/result-cache), on every node whose cache is on.</summary>
    public static AkkaConfigurationBuilder WithResultCache(this AkkaConfigurationBuilder builder, ResultStore? store, CacheSettings settings) =>
        builder.WithActors((system, registry) => registry.Register<ResultCacheActor>(system.ActorOf(ResultCacheActor.Props(store, settings), ResultCacheActor.Name)));

    /// <summary>The worker role (/user/worker).</summary>
    public static AkkaConfigurationBuilder WithWorker(this AkkaConfigurationBuilder builder, WorkerParts parts) =>
        builder.WithActors((system, registry) => registry.Register<WorkerActor>(system.ActorOf(WorkerActor.Props(parts), WorkerActor.Name)));

    /// <summary>The coordinator role (/user/coordinator).</summary>
    public static AkkaConfigurationBuilder WithCoordinator(this AkkaConfigurationBuilder builder, CoordinatorSettings settings, ToolchainShipping shipping) =>
        builder.WithActors((system, registry) => registry.Register<CoordinatorActor>(system.ActorOf(CoordinatorActor.Props(settings, shipping), CoordinatorActor.Name)));

    /// <summary>
    /// Keeps the membership record current and stops the node when a role actor stops on its own
    /// (/user/membership); register it after the roles.
    /// </summary>
    public static AkkaConfigurationBuilder WithMembershipWatch(this AkkaConfigurationBuilder builder, MembershipRecord record, RememberedMembers? remembered = null) =>
        builder.WithActors((system, registry) =>
        {
            var roles = new Dictionary<string, IActorRef> { ["status"] = registry.Get<StatusHub>() };
            if (registry.TryGet<WorkerActor>(out var worker)) roles["worker"] = worker;
            if (registry.TryGet<CoordinatorActor>(out var coordinator)) roles["coordinator"] = coordinator;
            if (registry.TryGet<ResultCacheActor>(out var cache)) roles["result-cache"] = cache;
            system.ActorOf(MembershipWatch.Props(record, roles, remembered), "membership");
        });

    /// <summary>
    /// Joins the configured seeds (akka.cluster.seed-nodes, which Akka joins by itself; after a removal
    /// also the members this node knew, see <see cref="RejoinPlan"/>), or, without any, starts a new
    /// cluster with this node as its first member.
    /// </summary>
    public static AkkaConfigurationBuilder JoinCluster(this AkkaConfigurationBuilder builder, NodeConfiguration configuration, RejoinPlan? rejoin) =>
        builder.AddStartup((system, _) =>
        {
            if (configuration.Seeds.Count == 0 && (rejoin is null || rejoin.Members.Count == 0))
            {
                var cluster = Cluster.Get(system);
                cluster.Join(cluster.SelfAddress);
            }
        });
}
