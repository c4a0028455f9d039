using System.Security.Cryptography;
using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Akka.TestKit.Xunit2;
using ActorCompile.Coordinator.Actors;
using ActorCompile.Protocol.Messages;
using ActorCompile.Tests;
using ActorCompile.Toolchain.Identity;
using ActorCompile.Toolchain.Jobs;
using Xunit;

namespace ActorCompile.Coordinator.Tests;

/// <summary>
/// Who may register as a worker with a coordinator, across real cluster members on loopback: the worker
/// actor of a member with the worker role that the coordinator greeted, and nobody else. A member
/// without the role, or an actor at another path, that sends capabilities and then asks for work gets
/// nothing, while a job waits for the real worker.
/// </summary>
public sealed class WorkerRegistrationTests : TestKit
{
    private static readonly ToolchainIdentity Gcc = new(new string('a', 64), "gcc", "12.2.0", "x86_64-linux-gnu", "c");
    private static readonly byte[] Source = "int answer(void) { return 42; }\n"u8.ToArray();
    private static readonly string SourceHash = Convert.ToHexStringLower(SHA256.HashData(Source));

    private readonly List<ActorSystem> _members = new();

    public WorkerRegistrationTests() : base(Member("coordinator")) { }

    private static Config Member(string role) => ClusterTestConfig.Create($"akka.cluster.roles = [{role}]");

    /// <summary>Plays a worker (or a peer posing as one): reports what it receives, sends what it is told to.</summary>
    private sealed class StandIn : ReceiveActor
    {
        /// <summary>Send to the actor at this full path, resolved in the stand-in's own actor system (so that it goes out from there).</summary>
        public sealed record Send(string To, object Message);

        public StandIn(IActorRef report)
        {
            Receive<Send>(s => ((ExtendedActorSystem)Context.System).Provider.ResolveActorRef(s.To).Tell(s.Message, Self));
            ReceiveAny(m => report.Tell(m));
        }
    }

    private ActorSystem StartMember(string role)
    {
        var system = ActorSystem.Create(Sys.Name, Member(role));
        _members.Add(system);
        Cluster.Get(system).Join(Cluster.Get(Sys).SelfAddress);
        return system;
    }

    protected override void AfterAll()
    {
        foreach (var m in _members) Shutdown(m);
        base.AfterAll();
    }

    /// <summary>The local user the test's wrapper session stands for.</summary>
    private const uint User = 1000;

    private static WorkerCapabilities Capabilities(IActorRef worker) =>
        new(worker, "w", 2, 2, new[] { new OfferedToolchain("gcc", Gcc.Fingerprint, Gcc.Family, Gcc.Version, Gcc.Target, Gcc.DriverLanguage) }, 128L << 20);

    [Fact]
    public void Only_the_greeted_worker_actor_of_a_member_with_the_worker_role_registers()
    {
        Cluster.Get(Sys).Join(Cluster.Get(Sys).SelfAddress);
        var coordinator = Sys.ActorOf(CoordinatorActor.Props(new CoordinatorSettings(2, 3, TimeSpan.FromSeconds(30), 3, TimeSpan.FromMinutes(1), TimeSpan.FromHours(1)), new ToolchainShipping()), "coordinator");

        var worker = CreateTestProbe();
        var impostor = CreateTestProbe();
        var elsewhere = CreateTestProbe();
        var workerSystem = StartMember("worker");
        var peerSystem = StartMember("coordinator");
        var workerActor = workerSystem.ActorOf(Props.Create(() => new StandIn(worker.Ref)), "worker");
        // A member without the worker role, at the worker's own path, and an actor at another path of the worker's member.
        var impostorActor = peerSystem.ActorOf(Props.Create(() => new StandIn(impostor.Ref)), "worker");
        var elsewhereActor = workerSystem.ActorOf(Props.Create(() => new StandIn(elsewhere.Ref)), "helper");
        AwaitAssert(() => Assert.Equal(3, Cluster.Get(Sys).State.Members.Count(m => m.Status == MemberStatus.Up)), TimeSpan.FromSeconds(30));

        // The coordinator greets the member with the worker role, and only it.
        var hello = worker.FishForMessage(m => m is CoordinatorHello, TimeSpan.FromSeconds(20)) as CoordinatorHello;
        var remoteCoordinator = hello!.Coordinator.Path.ToString();
        foreach (var actor in new[] { impostorActor, elsewhereActor })
            actor.Tell(new StandIn.Send(remoteCoordinator, Capabilities(actor)));
        workerActor.Tell(new StandIn.Send(remoteCoordinator, Capabilities(workerActor)));
        var session = CreateTestProbe();
        SubmitWhenAWorkerIsKnown(coordinator, session);

        // Those who were not greeted ask for work in vain, over the same connection as their capabilities.
        impostorActor.Tell(new StandIn.Send(remoteCoordinator, new RequestWork(impostorActor, 1)));
        elsewhereActor.Tell(new StandIn.Send(remoteCoordinator, new RequestWork(elsewhereActor, 1)));
        Assert.Equal(1, ((NoWork)impostor.FishForMessage(m => m is NoWork or CompileJob, TimeSpan.FromSeconds(10))).RequestId);
        Assert.Equal(1, ((NoWork)elsewhere.FishForMessage(m => m is NoWork or CompileJob, TimeSpan.FromSeconds(10))).RequestId);
        workerActor.Tell(new StandIn.Send(remoteCoordinator, new RequestWork(workerActor, 7)));
        var job = (CompileJob)worker.FishForMessage(m => m is CompileJob, TimeSpan.FromSeconds(10));
        Assert.Equal(7, job.RequestId);
    }

    /// <summary>Opens a job until the coordinator grants preprocessing (a worker with gcc is known), then submits it.</summary>
    private void SubmitWhenAWorkerIsKnown(IActorRef coordinator, Akka.TestKit.TestProbe session)
    {
        AwaitAssert(() =>
        {
            var attempt = CreateTestProbe();
            coordinator.Tell(new OpenJob(attempt.Ref, User, "/usr/bin/gcc", "gcc-key", "include-key", "a.c"), attempt.Ref);
            var reply = attempt.ExpectMsg<object>(TimeSpan.FromSeconds(3));
            if (reply is AskToolchain)
            {
                coordinator.Tell(new ToolchainLearned(attempt.Ref, User, "gcc-key", Gcc));
                reply = attempt.ExpectMsg<object>(TimeSpan.FromSeconds(3));
            }
            coordinator.Tell(new ReleaseLocalSlot(attempt.Ref));
            Assert.IsType<PreprocessGranted>(reply);
        }, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(200));
        coordinator.Tell(new SubmitJob(new JobSpec("job", session.Ref, "a.c", Gcc, new[] { "-c", "a.c", "-o", "a.o" }, "/home/u/p",
            new[] { new MirrorEntry(MirrorEntryKind.Directory, "/home/u/p", null, 0, 0), new MirrorEntry(MirrorEntryKind.File, "/home/u/p/a.c", SourceHash, Source.Length, 0) },
            new[] { "/usr/include" }, true, Array.Empty<EnvironmentVariable>(), false, Source.Length, new Dictionary<string, byte[]> { [SourceHash] = Source })));
    }
}
