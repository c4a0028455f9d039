using System.Collections;
using System.Reflection;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using ActorCompile.Protocol;
using ActorCompile.Protocol.Messages;
using ActorCompile.Protocol.Serialization;
using ActorCompile.Tests;
using ActorCompile.Toolchain.Jobs;
using ActorCompile.Toolchain.Identity;
using Xunit;

namespace ActorCompile.Protocol.Tests;

/// <summary>The one serializer of messages between nodes: every message round-trips, nothing else gets through.</summary>
public sealed class SerializerTests : TestKit
{
    public SerializerTests() : base(ClusterTestConfig.Create()) { }

    private IActorRef Ref => TestActor;

    private object[] Samples()
    {
        var blob = Payload.ToBlob(new string('c', 64), "int x;\n"u8);
        var toolchain = new OfferedToolchain("gcc,cc", new string('f', 64), "gcc", "12.2.0", "x86_64-linux-gnu", "c");
        var worker = new WorkerReport(4, 1, 3, 10, 2, 4, 0.5, 0.2, new[] { new ToolchainReport("gcc", "12.2.0", "x86_64-linux-gnu", new string('f', 64)) }, "sandboxed (bubblewrap, sealed roots)",
            "on (x86_64, i386)", new[] { new ShippedToolchainReport(new string('d', 64), new string('e', 64), 52_000_000, "held") }, "the compiler was killed by signal 11");
        var coordinator = new CoordinatorReport(3, 2, 2, 1, 100, 7, new[] { new WorkerHealth("127.0.0.1:7421", false, 1, 0) }, new[] { new UnservedToolchain("gcc", "13.2.0", "x86_64-linux-gnu", new string('e', 64), 5) }, 21_000_000,
            new CacheCounters(10, 4, 3, 1, 0, 52_000), new ScanCounters(30, 2, 1), new[] { new LocalSlotUser(1000, 2, 1) });
        var cached = new CachedResult("out"u8.ToArray(), "warning: unused"u8.ToArray(), new[] { new JobOutput("a.o", Payload.Compress("OBJ"u8), 3) }, "127.0.0.1:7421", 1_700_000_000_000);
        var shipped = new ShippedToolchain(new string('d', 64), new string('e', 64), "gcc", "12.2.0", "x86_64-linux-gnu", "c", "/usr/bin/gcc", new[]
            {
                new ToolchainFile(ToolchainFileKind.Directory, "/usr/bin", null, 0, false, null),
                new ToolchainFile(ToolchainFileKind.File, "/usr/bin/x86_64-linux-gnu-gcc-12", new string('a', 64), 928_000, true, null),
                new ToolchainFile(ToolchainFileKind.Symlink, "/usr/bin/gcc", null, 0, false, "x86_64-linux-gnu-gcc-12"),
            });
        return new object[]
        {
            new CoordinatorHello(Ref),
            toolchain,
            new WorkerCapabilities(Ref, "127.0.0.1:7421", 4, 8, new[] { toolchain }, 128L * 1024 * 1024),
            new WorkerCapabilities(Ref, "127.0.0.1:7422", 2, 2, Array.Empty<OfferedToolchain>(), 64L * 1024 * 1024, "no working sandbox", new[] { "x86_64", "i386" }),
            new WorkAvailable(Ref),
            new RequestWork(Ref, 42),
            new NoWork(42),
            blob,
            new EnvironmentVariable("LANG", "C.UTF-8"),
            new CompileJob(1, "job-1", Ref, new string('f', 64), new[] { "-c", "a.c" }, "/home/u", new[]
                {
                    new MirrorEntry(MirrorEntryKind.Directory, "/home/u", null, 0, 0),
                    new MirrorEntry(MirrorEntryKind.File, "/usr/include/stdio.h", new string('c', 64), 7, 1_700_000_000_000),
                    new MirrorEntry(MirrorEntryKind.Placeholder, "/home/u/config.h", null, 0, 1_700_000_000_001),
                },
                new[] { "/usr/include" }, true, new[] { new EnvironmentVariable("LANG", "C") }, false, new[] { blob }, 60_000),
            new CompileJob(2, "job-2", Ref, new string('e', 64), new[] { "-c", "b.c" }, "/home/u", Array.Empty<MirrorEntry>(), Array.Empty<string>(), false,
                Array.Empty<EnvironmentVariable>(), true, Array.Empty<Blob>(), 60_000, shipped),
            shipped,
            new NeedToolchainFiles("job-2", new[] { new string('a', 64) }),
            new ToolchainFileBatch("job-2", new[] { blob }, true),
            new NeedJobBlobs("job-1", new[] { new string('c', 64) }),
            new JobBlobs("job-1", new[] { blob }),
            new JobStarted("job-1", Ref),
            new JobOutput("a.o", Payload.Compress("OBJ"u8), 3),
            new JobCompleted("job-1", 0, "out"u8.ToArray(), "err"u8.ToArray(), new[] { new JobOutput("a.o", Payload.Compress("OBJ"u8), 3) }, 12),
            new JobFailed("job-1", "timeout", false),
            new CancelJob("job-1"),
            worker.Toolchains[0],
            worker,
            worker.Shipped![0],
            coordinator,
            coordinator.Workers[0],
            coordinator.Unserved[0],
            coordinator.Cache!,
            coordinator.Scans!,
            cached,
            new CacheLookup(new string('b', 64)),
            new CacheAnswer(new string('b', 64), cached),
            new CacheAnswer(new string('b', 64), null),
            new CacheStore(new string('b', 64), cached),
            new CacheDrop(new string('b', 64)),
            new JobReport("job-1", "a.c", "compiling", "127.0.0.1:7421", 1_700_000_000_000, 0),
            new NodeReport("127.0.0.1:7420", new[] { "coordinator" }, 5, 1_700_000_000_000, worker, coordinator, Array.Empty<JobReport>(), Array.Empty<RefusedConnection>(),
                new StoredResults(12, 40_960, 5L << 30, 1)),
            new NodeReport("127.0.0.1:7420", new[] { "worker" }, 6, 1_700_000_000_000, null, null, Array.Empty<JobReport>(),
                new[] { new RefusedConnection("127.0.0.2", 3, "127.0.0.2 is not in this worker's allowed networks") }),
            new RefusedConnection("127.0.0.3", 1, "not allowed"),
        };
    }

    /// <summary>Every allowed type is a sample or travels inside one (a job's mirror entries and their kinds).</summary>
    [Fact]
    public void Every_cluster_message_type_has_a_sample_here()
    {
        var covered = new HashSet<Type>();
        foreach (var sample in Samples()) TypesIn(sample, covered);
        var missing = ActorCompileSerializer.MessageTypes.Where(t => !covered.Contains(t)).Select(t => t.Name).ToList();
        Assert.Empty(missing);
        // And the parts from Toolchain that messages carry, written by their own formatters.
        Assert.Contains(typeof(MirrorEntry), covered);
        Assert.Contains(typeof(ToolchainFile), covered);
    }

    [Fact]
    public void Every_message_is_bound_to_the_actorcompile_serializer_and_round_trips()
    {
        foreach (var sample in Samples())
        {
            var serializer = Sys.Serialization.FindSerializerFor(sample);
            Assert.IsType<ActorCompileSerializer>(serializer);
            var bytes = serializer.ToBinary(sample);
            var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, sample);
            Assert.Equal($"{ActorCompileSerializer.WireVersion}:{sample.GetType().Name}", manifest);
            var back = Sys.Serialization.Deserialize(bytes, serializer.Identifier, manifest);
            AssertDeepEqual(sample, back, sample.GetType().Name);
        }
    }

    /// <summary>
    /// For every message and every member it declares non-nullable: the message sent with that member null
    /// (or, for an array, holding a null) is refused as it arrives, never handed to an actor.
    /// </summary>
    [Fact]
    public void A_message_missing_a_member_it_must_have_is_refused_as_it_arrives()
    {
        var serializer = (ActorCompileSerializer)Sys.Serialization.FindSerializerForType(typeof(NoWork));
        var nullability = new NullabilityInfoContext();
        var checkedMembers = new List<string>();
        foreach (var sample in Samples().DistinctBy(s => s.GetType()))
        {
            var type = sample.GetType();
            var constructor = type.GetConstructors().Single(c => c.GetParameters().Length > 0 && !(c.GetParameters().Length == 1 && c.GetParameters()[0].ParameterType == type));
            var parameters = constructor.GetParameters();
            var values = parameters.Select(p => type.GetProperty(p.Name!)!.GetValue(sample)).ToArray();
            for (int i = 0; i < parameters.Length; i++)
            {
                var parameter = parameters[i];
                if (parameter.ParameterType.IsValueType) continue;
                var info = nullability.Create(parameter);
                var broken = (object?[])values.Clone();
                if (info.WriteState == NullabilityState.Nullable)
                {
                    // An array that may be absent holds no null when it is there.
                    if (parameter.ParameterType.GetElementType() is { IsValueType: false } items && info.ElementType?.WriteState != NullabilityState.Nullable)
                    {
                        broken[i] = Array.CreateInstance(items, 1);
                        AssertRefused(type, constructor.Invoke(broken), $"{type.Name}.{parameter.Name} = [null]");
                        checkedMembers.Add($"{type.Name}.{parameter.Name}[]");
                    }
                    continue;
                }
                broken[i] = null;
                AssertRefused(type, constructor.Invoke(broken), $"{type.Name}.{parameter.Name} = null");
                var element = parameter.ParameterType.GetElementType();
                if (element is { IsValueType: false })
                {
                    broken[i] = Array.CreateInstance(element, 1);
                    AssertRefused(type, constructor.Invoke(broken), $"{type.Name}.{parameter.Name} = [null]");
                }
                checkedMembers.Add($"{type.Name}.{parameter.Name}");
            }
        }
        Assert.Contains("CompileJob.Args", checkedMembers);
        Assert.Contains("NodeReport.Address", checkedMembers);
        Assert.Contains("CacheStore.Result", checkedMembers);
        Assert.Contains("WorkerReport.Shipped[]", checkedMembers);
        Assert.Contains("CoordinatorReport.LocalSlotUsers[]", checkedMembers);

        void AssertRefused(Type type, object message, string what)
        {
            var bytes = serializer.ToBinary(message);
            var e = Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes, serializer.Manifest(message)));
            Assert.True(e.Message.Contains("arrived"), $"{what}: {e.Message}");
        }
    }

    [Fact]
    public void A_worker_report_with_a_number_that_is_not_finite_is_refused()
    {
        var serializer = (ActorCompileSerializer)Sys.Serialization.FindSerializerForType(typeof(NoWork));
        var report = new WorkerReport(4, 1, 3, 10, 2, 4, 0.5, 0.2, Array.Empty<ToolchainReport>(), "sandboxed");
        Assert.IsType<WorkerReport>(serializer.FromBinary(serializer.ToBinary(report), serializer.Manifest(report)));
        foreach (var bad in new[] { report with { LoadAverage = double.NaN }, report with { MeanCompileSeconds = double.PositiveInfinity } })
        {
            var e = Assert.Throws<SerializationException>(() => serializer.FromBinary(serializer.ToBinary(bad), serializer.Manifest(bad)));
            Assert.Contains("must be finite", e.Message);
        }
    }

    [Fact]
    public void A_yes_or_no_member_that_holds_neither_is_refused()
    {
        // A bool is read as the byte that came: 2 would be true to `if` and false to `== true`.
        var serializer = (ActorCompileSerializer)Sys.Serialization.FindSerializerForType(typeof(NoWork));
        var failed = new JobFailed("job-1", "why", Refused: true);
        var bytes = serializer.ToBinary(failed);
        Assert.Equal(1, bytes[^1]); // the last member, one byte
        Assert.True(((JobFailed)serializer.FromBinary(bytes, serializer.Manifest(failed))).Refused);
        bytes[^1] = 2;
        var e = Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes, serializer.Manifest(failed)));
        Assert.Contains("arrived with 2 in a yes-or-no member", e.Message);
    }

    [Fact]
    public void Types_outside_the_messages_are_refused_on_both_sides()
    {
        var serializer = (ActorCompileSerializer)Sys.Serialization.FindSerializerForType(typeof(NoWork));
        var unsent = Assert.Throws<ArgumentException>(() => serializer.ToBinary(new List<string> { "x" }));
        Assert.Contains("is not an ActorCompile cluster message", unsent.Message);
        Assert.Throws<ArgumentException>(() => serializer.Manifest(new Smuggled("x")));

        // A peer can name only a message type of this wire version: no type name is ever resolved.
        var bytes = serializer.ToBinary(new CancelJob("job-1"));
        foreach (var manifest in new[] { $"{ActorCompileSerializer.WireVersion}:Smuggled", "System.String", "", $"{ActorCompileSerializer.WireVersion}:IClusterMessage", $"{ActorCompileSerializer.WireVersion}:cancelJob" })
        {
            var refused = Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes, manifest));
            Assert.Contains("refused a message of unknown kind", refused.Message);
        }
    }

    [Fact]
    public void A_message_of_another_wire_version_is_refused_saying_so()
    {
        var serializer = (ActorCompileSerializer)Sys.Serialization.FindSerializerForType(typeof(NoWork));
        var bytes = serializer.ToBinary(new CancelJob("job-1"));
        var refused = Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes, $"{ActorCompileSerializer.WireVersion + 1}:CancelJob"));
        Assert.Contains($"wire version {ActorCompileSerializer.WireVersion + 1}", refused.Message);
        Assert.Contains($"this node speaks version {ActorCompileSerializer.WireVersion}", refused.Message);
        // Counted for status, by version; a kind it does not know and a malformed message likewise.
        Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes, $"{ActorCompileSerializer.WireVersion}:Smuggled"));
        Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes[..2], $"{ActorCompileSerializer.WireVersion}:CancelJob"));
        var counted = ActorCompile.Protocol.Cluster.RefusedMessages.Get(Sys).Snapshot().ToDictionary(r => r.Message, r => r.Count);
        Assert.Equal(1, counted.GetValueOrDefault($"wire version {ActorCompileSerializer.WireVersion + 1}"));
        Assert.Equal(1, counted.GetValueOrDefault("an unknown kind of message"));
        Assert.Equal(1, counted.GetValueOrDefault("malformed CancelJob"));
    }

    /// <summary>
    /// Messages as a node of the release before wire versions wrote them (Hyperion, serializer 7411; golden
    /// files recorded from that release, commit 5ce7381): refused, saying why, and counted in status.
    /// </summary>
    [Fact]
    public void A_message_from_a_release_before_wire_versions_is_refused_saying_so()
    {
        var golden = Path.Combine(AppContext.BaseDirectory, "golden", "hyperion-7411");
        var files = Directory.GetFiles(golden, "*.bin");
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var e = Assert.Throws<SerializationException>(() => Sys.Serialization.Deserialize(File.ReadAllBytes(file), 7411, ""));
            Assert.Contains("a release before wire versions", e.Message);
        }
        var counted = ActorCompile.Protocol.Cluster.RefusedMessages.Get(Sys).Snapshot().ToDictionary(r => r.Message, r => r.Count);
        Assert.Equal(files.Length, counted.GetValueOrDefault("wire version 0"));
    }

    /// <summary>
    /// Messages as each wire version wrote them (golden/v{N}/{Type}.bin, recorded when version N was current):
    /// this version's read and are written again byte for byte; an earlier version's either read (where a
    /// release keeps them compatible) or are refused saying which version they are. Raising WireVersion
    /// makes this fail until the new version's messages are recorded and the old ones decided on.
    /// </summary>
    [Fact]
    public void Golden_messages_of_every_wire_version_read_or_are_refused_saying_so()
    {
        var serializer = (ActorCompileSerializer)Sys.Serialization.FindSerializerForType(typeof(NoWork));
        var root = Path.Combine(AppContext.BaseDirectory, "golden");
        var current = Path.Combine(root, $"v{ActorCompileSerializer.WireVersion}");
        Assert.True(Directory.Exists(current) && Directory.GetFiles(current, "*.bin").Length > 0, $"record this wire version's messages in {current}");
        foreach (var directory in Directory.GetDirectories(root, "v*"))
        {
            var version = int.Parse(Path.GetFileName(directory)[1..]);
            foreach (var file in Directory.GetFiles(directory, "*.bin"))
            {
                var bytes = File.ReadAllBytes(file);
                var manifest = $"{version}:{Path.GetFileNameWithoutExtension(file)}";
                if (version == ActorCompileSerializer.WireVersion)
                {
                    var message = serializer.FromBinary(bytes, manifest);
                    Assert.Equal(bytes, serializer.ToBinary(message));
                }
                else
                    Assert.Contains($"wire version {version}", Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes, manifest)).Message);
            }
        }
    }

    [Fact]
    public void Malformed_bytes_are_refused_without_allocating_what_they_claim()
    {
        var serializer = (ActorCompileSerializer)Sys.Serialization.FindSerializerForType(typeof(NoWork));
        var manifest = $"{ActorCompileSerializer.WireVersion}:NeedJobBlobs";
        var good = serializer.ToBinary(new NeedJobBlobs("job-1", new[] { "a", "b" }));
        Assert.IsType<NeedJobBlobs>(serializer.FromBinary(good, manifest));

        // Every truncation is refused, none read as a message.
        for (int length = 0; length < good.Length; length++)
            Assert.Throws<SerializationException>(() => serializer.FromBinary(good[..length], manifest));

        // The array's count claims a billion hashes: refused before anything of that size exists.
        // The array's count is where the bytes first differ from the same message with no hashes.
        var empty = serializer.ToBinary(new NeedJobBlobs("job-1", Array.Empty<string>()));
        var count = good.AsSpan().CommonPrefixLength(empty);
        Assert.Equal(2, BitConverter.ToInt32(good, count));
        var hostile = (byte[])good.Clone();
        BitConverter.TryWriteBytes(hostile.AsSpan(count), 1_000_000_000);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<SerializationException>(() => serializer.FromBinary(hostile, manifest));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "allocated the claimed array");
        Assert.Contains("NeedJobBlobs", e.Message);
    }

    [Fact]
    public void A_string_never_grows_beyond_the_bytes_it_arrived_in()
    {
        var serializer = (ActorCompileSerializer)Sys.Serialization.FindSerializerForType(typeof(NoWork));
        var v = ActorCompileSerializer.WireVersion;
        // Text of every width round-trips (UTF-8 on the wire).
        var path = "/home/ü/€/😀/a.c";
        Assert.Equal(path, ((CancelJob)serializer.FromBinary(serializer.ToBinary(new CancelJob(path)), $"{v}:CancelJob")).JobId);

        // One string member: one UTF-8 byte that claims to be 50,000 characters (MemoryPack's own reader allows
        // three characters per remaining byte, and so would allocate them).
        var one = Hostile(w => { w.Write((byte)1); Utf8Claiming(w, 50_000); });
        Assert.Contains("cannot hold 50000 characters", Assert.Throws<SerializationException>(() => serializer.FromBinary(one, $"{v}:CacheDrop")).Message);
        // Bytes that are not UTF-8 are refused, not replaced.
        var invalid = Hostile(w => { w.Write((byte)1); w.Write(~1); w.Write(1); w.Write((byte)0xFF); });
        Assert.Contains("malformed CacheDrop", Assert.Throws<SerializationException>(() => serializer.FromBinary(invalid, $"{v}:CacheDrop")).Message);
        // A UTF-16 string longer than what remains.
        var wide = Hostile(w => { w.Write((byte)1); w.Write(1_000_000); w.Write((short)'a'); });
        Assert.Contains("needs 2000000 bytes", Assert.Throws<SerializationException>(() => serializer.FromBinary(wide, $"{v}:CacheDrop")).Message);

        // An array of such strings, and an array of records holding one each: refused before any grows.
        const int count = 2000;
        var strings = Hostile(w =>
        {
            w.Write((byte)2); Utf8(w, "job-1");
            w.Write(count);
            for (int i = 0; i < count; i++) Utf8Claiming(w, (count - i) * 10 * 3);
        });
        var outputs = Hostile(w =>
        {
            w.Write((byte)8); Utf8(w, "job-1"); w.Write(0); w.Write(0); w.Write(0);
            w.Write(count);
            for (int i = 0; i < count; i++) { w.Write((byte)3); Utf8Claiming(w, (count - i) * 20 * 3); w.Write(0); w.Write(0); }
            w.Write(0L); w.Write(0L); w.Write(0L);
        });
        foreach (var (bytes, manifest) in new[] { (strings, $"{v}:NeedJobBlobs"), (outputs, $"{v}:JobCompleted") })
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes, manifest));
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < 1 << 20, $"{manifest}: {allocated} bytes allocated from {bytes.Length}");
            Assert.Contains("characters", e.Message);
        }
    }

    private static byte[] Hostile(Action<BinaryWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream)) write(writer);
        return stream.ToArray();
    }

    /// <summary>A UTF-8 string as MemoryPack writes it: the complement of its byte count, its character count, its bytes.</summary>
    private static void Utf8(BinaryWriter w, string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        w.Write(~bytes.Length); w.Write(text.Length); w.Write(bytes);
    }

    /// <summary>One byte of UTF-8 that declares <paramref name="characters"/> characters.</summary>
    private static void Utf8Claiming(BinaryWriter w, int characters)
    {
        w.Write(~1); w.Write(characters); w.Write((byte)'a');
    }

    [Fact]
    public void A_mirror_entry_or_toolchain_file_of_an_unknown_kind_is_refused()
    {
        var serializer = (ActorCompileSerializer)Sys.Serialization.FindSerializerForType(typeof(NoWork));
        var job = new CompileJob(1, "job-1", Ref, new string('f', 64), new[] { "-c", "a.c" }, "/home/u",
            new[] { new MirrorEntry(MirrorEntryKind.Directory, "/home/u", null, 0, 0) }, Array.Empty<string>(), false,
            Array.Empty<EnvironmentVariable>(), false, Array.Empty<Blob>(), 60_000);
        var bytes = serializer.ToBinary(job);
        // The entry's kind is where the bytes first differ from the same job with a file entry.
        var file = serializer.ToBinary(job with { Mirror = new[] { new MirrorEntry(MirrorEntryKind.File, "/home/u", null, 0, 0) } });
        var at = bytes.AsSpan().CommonPrefixLength(file);
        Assert.Equal((byte)MirrorEntryKind.Directory, bytes[at]);
        bytes[at] = 77;
        var e = Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes, $"{ActorCompileSerializer.WireVersion}:CompileJob"));
        Assert.Contains("MirrorEntryKind 77 is not a known kind", e.Message);
    }

    [Fact]
    public void Strict_serialization_refuses_a_type_without_a_binding()
    {
        var e = Assert.Throws<SerializationException>(() => Sys.Serialization.FindSerializerFor(new Smuggled("x")));
        Assert.StartsWith($"No serializer binding found for type {nameof(Smuggled)}", e.Message);
    }

    [Fact]
    public void The_default_json_serializer_is_replaced_by_one_that_refuses_everything()
    {
        var e = Assert.Throws<SerializationException>(() => Sys.Serialization.Deserialize("{\"$type\":\"System.String\"}"u8.ToArray(), 1, ""));
        Assert.Contains("accepts only ActorCompile's serializer", e.Message);
    }

    [Fact]
    public void Kill_PoisonPill_system_messages_other_than_death_watch_and_cluster_commands_are_refused_from_the_wire()
    {
        // Bytes as Akka's own serializers write them on another node (the wrappers here refuse to read them).
        var misc = new Akka.Remote.Serialization.MiscMessageSerializer((ExtendedActorSystem)Sys);
        foreach (var message in new object[] { Kill.Instance, PoisonPill.Instance })
        {
            var e = Assert.Throws<SerializationException>(() => Sys.Serialization.Deserialize(misc.ToBinary(message), misc.Identifier, misc.Manifest(message)));
            Assert.Contains($"refused a remote {message.GetType().Name}", e.Message);
        }
        Assert.IsType<Identify>(Sys.Serialization.Deserialize(misc.ToBinary(new Identify(1)), misc.Identifier, misc.Manifest(new Identify(1))));

        var system = new Akka.Remote.Serialization.SystemMessageSerializer((ExtendedActorSystem)Sys);
        var target = (IInternalActorRef)TestActor;
        var watch = new Akka.Dispatch.SysMsg.Watch(target, target);
        Assert.IsType<Akka.Dispatch.SysMsg.Watch>(Sys.Serialization.Deserialize(system.ToBinary(watch), system.Identifier, typeof(Akka.Dispatch.SysMsg.Watch)));
        foreach (var message in new Akka.Dispatch.SysMsg.ISystemMessage[] { new Akka.Dispatch.SysMsg.Suspend(), new Akka.Dispatch.SysMsg.Resume(null!), new Akka.Dispatch.SysMsg.Terminate() })
        {
            var e = Assert.Throws<SerializationException>(() => Sys.Serialization.Deserialize(system.ToBinary(message), system.Identifier, message.GetType()));
            Assert.Contains($"refused a remote system message {message.GetType().Name}", e.Message);
        }

        var cluster = new Akka.Cluster.Serialization.ClusterMessageSerializer((ExtendedActorSystem)Sys);
        var address = Address.Parse("akka.tcp://actorcompile@127.0.0.1:7420");
        foreach (var name in new[] { "Down", "Leave" })
        {
            var command = Activator.CreateInstance(typeof(Akka.Cluster.Cluster).Assembly.GetType($"Akka.Cluster.ClusterUserAction+{name}", true)!, address)!;
            var e = Assert.Throws<SerializationException>(() => Sys.Serialization.Deserialize(cluster.ToBinary(command), cluster.Identifier, cluster.Manifest(command)));
            Assert.Contains($"refused a remote cluster command {name}", e.Message);
        }
        // Each refusal is counted for the node's status, by message.
        var refused = ActorCompile.Protocol.Cluster.RefusedMessages.Get(Sys).Snapshot().ToDictionary(r => r.Message, r => r.Count);
        foreach (var name in new[] { "Kill", "PoisonPill", "Suspend", "Resume", "Terminate", "Down", "Leave" })
            Assert.True(refused.GetValueOrDefault(name) == 1, $"{name}: {refused.GetValueOrDefault(name)} refusals counted");
        Assert.Equal(7, refused.Count);
    }

    [Fact]
    public void Payloads_are_compressed_and_checked()
    {
        var data = Enumerable.Repeat("#include <stdio.h>\n"u8.ToArray(), 1000).SelectMany(b => b).ToArray();
        var packed = Payload.Compress(data);
        Assert.True(packed.Length < data.Length / 4);
        Assert.Equal(data, Payload.Decompress(packed, data.Length));
        Assert.Throws<InvalidDataException>(() => Payload.Decompress(packed, data.Length + 1));
        Assert.Throws<InvalidDataException>(() => Payload.Decompress(new byte[] { 1, 2, 3 }, 3));
    }

    private static void TypesIn(object? value, HashSet<Type> types)
    {
        if (value is null or string or byte[] or IActorRef) return;
        types.Add(value.GetType());
        if (value is IEnumerable items)
        {
            foreach (var item in items) TypesIn(item, types);
            return;
        }
        if (value.GetType().IsPrimitive || value is Enum) return;
        foreach (var p in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract"))
            TypesIn(p.GetValue(value), types);
    }

    public sealed class Smuggled(string value)
    {
        public string Value { get; } = value;
    }

    private static void AssertDeepEqual(object? expected, object? actual, string path)
    {
        if (expected is null) { Assert.Null(actual); return; }
        Assert.NotNull(actual);
        switch (expected)
        {
            case IActorRef r:
                Assert.Equal(r.Path.ToString(), ((IActorRef)actual!).Path.ToString());
                return;
            case string or bool or int or long or double or byte or Enum:
                Assert.Equal(expected, actual);
                return;
            case byte[] bytes:
                Assert.Equal(bytes, (byte[])actual!);
                return;
            case IEnumerable e:
                var a = ((IEnumerable)actual!).Cast<object?>().ToList();
                var x = e.Cast<object?>().ToList();
                Assert.Equal(x.Count, a.Count);
                for (int i = 0; i < x.Count; i++) AssertDeepEqual(x[i], a[i], $"{path}[{i}]");
                return;
        }
        Assert.Equal(expected.GetType(), actual!.GetType());
        foreach (var p in expected.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract"))
            AssertDeepEqual(p.GetValue(expected), p.GetValue(actual), $"{path}.{p.Name}");
    }
}
