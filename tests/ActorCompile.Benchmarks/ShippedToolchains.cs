using System.Text.Json;
using ActorCompile.Tests;
using static ActorCompile.Benchmarks.Comparison;

namespace ActorCompile.Benchmarks;

/// <summary>
/// Shipped toolchains (issue 14) side by side with native ones, in one run. Two targets on loopback: one
/// whose helpers have no compiler at all (worker nodes started by <see cref="HelperWithoutCompilers"/>, so
/// every job runs the target's gcc shipped to them), and one whose helpers run the same gcc installed
/// ("native"). Both coordinators never compile themselves, so every job crosses to a helper.
/// </summary>
public sealed class ShippedToolchains
{
    /// <summary>A language of the toolchain: its driver, and the trivial source that exercises it.</summary>
    public sealed record Language(string Toolchain, string Compiler, string Source, string Text);

    public sealed record ToolchainBytes(string Toolchain, Summary Raw, Summary Wire, Summary WireAfterTheOther);
    public sealed record FirstJob(string Command, Summary Shipped, Summary Native);
    public sealed record PerJob(Summary Shipped, Summary Native, Dictionary<string, Summary> ShippedPhases, Dictionary<string, Summary> NativePhases);
    public sealed record Result(List<ToolchainBytes> Bytes, List<FirstJob> FirstJobs, PerJob CachedPerJob, BuildResult Lua);

    private static readonly Language C = new("gcc (C)", "gcc", "t.c", "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n");
    private static readonly Language Cxx = new("g++ (C++)", "g++", "t.cpp", "#include <cstdio>\nint main() { std::puts(\"hello\"); }\n");

    /// <summary>help-after 1h: the coordinator never compiles itself, so every job crosses to a helper, as in the other sections.</summary>
    private const string NoHelp = "actorcompile.coordinator.help-after = 1h\n";

    private readonly string _dist;
    private readonly string _work;
    private readonly string _sources;
    private readonly Comparison _comparison;
    private readonly Action<string> _say;
    /// <summary>Remote jobs the shipped target has finished, and its toolchain bytes shipped so far: what its status must reach before a figure is read.</summary>
    private long _shippedJobs;
    private long _shippedWire;

    public ShippedToolchains(string dist, string work, Comparison comparison, Action<string> say)
    {
        _dist = dist;
        _work = Path.Combine(work, "shipped");
        _sources = Path.Combine(_work, "sources");
        _comparison = comparison;
        _say = say;
        Directory.CreateDirectory(_sources);
        foreach (var l in new[] { C, Cxx }) File.WriteAllText(Path.Combine(_sources, l.Source), l.Text);
    }

    /// <param name="launcher">From <see cref="HelperWithoutCompilers.Prepare"/>.</param>
    public Result Run(string[] launcher, int firstJobRounds, int perJobRounds, int luaRounds)
    {
        _say("starting two targets on 127.0.0.1: one with helpers that have no compiler, one with helpers that have gcc");
        using var shipped = new Cluster(_dist, Path.Combine(_work, "target-shipped"), workers: 0, slotsPerWorker: 2, NoHelp, launcher);
        using var native = new Cluster(_dist, Path.Combine(_work, "target-native"), workers: 0, slotsPerWorker: 2, NoHelp);
        _say($"1, 2: the first job on a fresh helper, and the toolchain bytes it takes ({firstJobRounds} rounds after one not counted)");
        var (bytes, firstJobs) = FirstJobs(shipped, native, firstJobRounds);
        _say($"3: per job with the toolchain cached on one helper ({perJobRounds} runs each)");
        var perJob = CachedPerJob(AddHelper(shipped), shipped, native.AddWorker(slots: 2), native, perJobRounds);
        _say($"4: Lua through two helpers each, and through two distccd ({luaRounds} rounds after one not counted)");
        var lua = Lua(shipped, native, luaRounds);
        // The native target's helpers had gcc: had anything been shipped there, the comparison would be wrong.
        if (ToolchainBytesShipped(native) != 0) throw new InvalidOperationException("the native target shipped a toolchain to a helper that has gcc");
        return new Result(bytes, firstJobs, perJob, lua);
    }

    // ---- 1 and 2: the first job on a fresh helper ----

    private (List<ToolchainBytes>, List<FirstJob>) FirstJobs(Cluster shipped, Cluster native, int rounds)
    {
        var languages = new[] { C, Cxx };
        var shippedMs = languages.ToDictionary(l => l, _ => new List<double>());
        var nativeMs = languages.ToDictionary(l => l, _ => new List<double>());
        var raw = languages.ToDictionary(l => l, _ => new List<double>());
        var wire = languages.ToDictionary(l => l, _ => new List<double>());
        var wireAfter = languages.ToDictionary(l => l, _ => new List<double>());
        // Round 0 is not counted: it includes what a target does once, not per helper (its node takes the
        // compiler apart and identifies it on the first job that needs it shipped).
        for (int round = 0; round <= rounds; round++)
        {
            foreach (var language in languages)
            {
                var other = language == C ? Cxx : C;
                FreshHelper? helper = null;
                double nativeJob = 0;
                // Which target goes first alternates, so that the machine's noise falls on both alike.
                foreach (var onShipped in round % 2 == 0 ? new[] { true, false } : new[] { false, true })
                {
                    if (onShipped) helper = FirstJobOnFreshHelper(shipped, language, other);
                    else nativeJob = FirstJobOnFreshNativeWorker(native, language);
                }
                if (round == 0) continue;
                shippedMs[language].Add(helper!.Milliseconds);
                nativeMs[language].Add(nativeJob);
                raw[language].Add(helper.RawBytes);
                wire[language].Add(helper.WireBytes);
                wireAfter[other].Add(helper.OtherWireBytes);
                _say($"  round {round}, {language.Compiler}: shipped {helper.Milliseconds:0} ms ({helper.WireBytes / 1e6:0.0} MB on the wire), native {nativeJob:0} ms");
            }
        }
        var bytes = languages.Select(l => new ToolchainBytes(l.Toolchain, Summary.Of(raw[l]), Summary.Of(wire[l]), Summary.Of(wireAfter[l]))).ToList();
        var jobs = languages.Select(l => new FirstJob($"{l.Compiler} -c {l.Source}", Summary.Of(shippedMs[l]), Summary.Of(nativeMs[l]))).ToList();
        return (bytes, jobs);
    }

    /// <summary>One fresh helper's first job, timed; then the other language's, for the bytes that toolchain adds when this one is there.</summary>
    private sealed record FreshHelper(double Milliseconds, long RawBytes, long WireBytes, long OtherWireBytes);

    private FreshHelper FirstJobOnFreshHelper(Cluster shipped, Language language, Language other)
    {
        var helper = AddHelper(shipped);
        var first = CompileOn(shipped, helper, language);
        _shippedJobs++;
        var afterFirst = Settled(shipped, helper, heldToolchains: 1);
        CompileOn(shipped, helper, other);
        _shippedJobs++;
        var afterBoth = Settled(shipped, helper, heldToolchains: 2);
        shipped.RemoveWorker(helper);
        var result = new FreshHelper(first.Milliseconds, afterFirst.Held.Values.Single(), afterFirst.Wire - _shippedWire, afterBoth.Wire - afterFirst.Wire);
        _shippedWire = afterBoth.Wire;
        return result;
    }

    private double FirstJobOnFreshNativeWorker(Cluster native, Language language)
    {
        var worker = native.AddWorker(slots: 2);
        var job = CompileOn(native, worker, language);
        native.RemoveWorker(worker);
        return job.Milliseconds;
    }

    /// <summary>A new helper without compilers (so with an empty toolchain cache) on the shipped target.</summary>
    private static WorkerNode AddHelper(Cluster shipped)
    {
        var helper = shipped.AddWorker(slots: 2);
        var toolchains = WorkerStatus(shipped, helper).GetProperty("toolchains").GetArrayLength();
        if (toolchains != 0) throw new InvalidOperationException($"the helper {helper.Address} offers {toolchains} toolchains of its own: its compilers were not hidden");
        return helper;
    }

    /// <summary>Compiles the language's trivial source through a target, and fails unless it ran on that worker.</summary>
    private Outcome CompileOn(Cluster target, WorkerNode worker, Language language)
    {
        var tool = ActorCompileTool(target, verbose: true, strict: true);
        var o = Shell.Must(RunCompilerAs(tool, language.Compiler, _sources, "-c", language.Source, "-o", language.Source + ".o"), $"{language.Compiler} -c {language.Source}");
        var on = WorkersCompiledOn(o.Stderr);
        if (on.Count != 1 || on[0] != worker.Address)
            throw new InvalidOperationException($"{language.Compiler} -c {language.Source} was to run on {worker.Address}:\n{o.Stderr}");
        return o;
    }

    /// <summary>The shipped target's toolchain bytes on the wire, and the raw size of each toolchain the helper holds, by fingerprint.</summary>
    private sealed record ShippedFigures(long Wire, Dictionary<string, long> Held);

    /// <summary>
    /// The figures once the status shows them: status is published about once a second, so this waits
    /// (bounded) until the coordinator's report counts every job finished so far (the toolchain's bytes
    /// travelled before its job ran, so that report counts them too) and the helper's report holds the
    /// toolchains.
    /// </summary>
    private ShippedFigures Settled(Cluster shipped, WorkerNode helper, int heldToolchains) =>
        Eventually.Get(() =>
        {
            using var status = shipped.Status();
            var coordinator = status.RootElement.GetProperty("coordinators").EnumerateArray().Single();
            var held = Worker(status, helper).GetProperty("shippedToolchains").EnumerateArray()
                .Where(t => t.GetProperty("state").GetString() == "held")
                .ToDictionary(t => t.GetProperty("fingerprint").GetString()!, t => t.GetProperty("bytes").GetInt64());
            bool settled = coordinator.GetProperty("distributed").GetInt64() >= _shippedJobs && held.Count >= heldToolchains;
            return Task.FromResult(settled ? new ShippedFigures(coordinator.GetProperty("toolchainBytesShipped").GetInt64(), held) : null);
        }, TimeSpan.FromSeconds(30), $"the status to show {_shippedJobs} jobs and {heldToolchains} toolchains held on {helper.Address}").GetAwaiter().GetResult();

    // ---- 3: per job, the toolchain cached ----

    private PerJob CachedPerJob(WorkerNode helper, Cluster shipped, WorkerNode nativeWorker, Cluster native, int rounds)
    {
        var tools = new[]
        {
            ActorCompileTool(shipped, verbose: true, timing: true, name: "shipped", remoteOn: new HashSet<string> { helper.Address }, strict: true),
            ActorCompileTool(native, verbose: true, timing: true, name: "native", remoteOn: new HashSet<string> { nativeWorker.Address }, strict: true),
        };
        // The first job ships the toolchain to the helper; the others warm both alike.
        foreach (var t in tools) for (int i = 0; i < 3; i++) TrivialCompile(t);
        var times = tools.ToDictionary(t => t.Name, _ => new List<double>());
        var phases = tools.ToDictionary(t => t.Name, _ => new Dictionary<string, List<double>>());
        for (int round = 0; round < rounds; round++)
        {
            foreach (var t in Rotated(tools, round))
            {
                var o = TrivialCompile(t);
                times[t.Name].Add(o.Milliseconds);
                AddTiming(o.Stderr, phases[t.Name], o.Milliseconds);
            }
        }
        Dictionary<string, Summary> Phases(string tool) => phases[tool].ToDictionary(kv => kv.Key, kv => Summary.Of(kv.Value));
        return new PerJob(Summary.Of(times["shipped"]), Summary.Of(times["native"]), Phases("shipped"), Phases("native"));
    }

    /// <summary>The per-job section's trivial compile (t.c includes stdio.h), which must run on the tool's worker.</summary>
    private Outcome TrivialCompile(Tool tool)
    {
        var o = Shell.Must(RunCompiler(tool, _sources, "-c", C.Source, "-o", "t.o"), $"the trivial compile through the {tool.Name} target");
        var on = WorkersCompiledOn(o.Stderr);
        if (on.Count != 1 || !tool.RemoteOn!.Contains(on[0]))
            throw new InvalidOperationException($"the trivial compile through the {tool.Name} target was to run on {string.Join(", ", tool.RemoteOn!)}:\n{o.Stderr}");
        return o;
    }

    // ---- 4: Lua through two helpers ----

    private BuildResult Lua(Cluster shipped, Cluster native, int rounds)
    {
        // Each target gets a second helper: two helpers with two slots each, as distcc's two distccd.
        AddHelper(shipped);
        native.AddWorker(slots: 2);
        using var distcc = new Distcc(Path.Combine(_work, "distcc"), daemons: 2, jobsEach: 2);
        var tools = new[]
        {
            Local,
            DistccTool(distcc),
            ActorCompileTool(native, verbose: true, name: "ActorCompile, native", remoteOn: native.WorkerNodes.Select(w => w.Address).ToHashSet()),
            ActorCompileTool(shipped, verbose: true, name: "ActorCompile, shipped", remoteOn: shipped.WorkerNodes.Select(w => w.Address).ToHashSet()),
        };
        // One build each, not counted: it ships the toolchain to the new helper (checked below) and warms every tool alike.
        foreach (var t in tools)
        {
            _comparison.PrepareLuaTree(t);
            _comparison.BuildLua(t);
        }
        foreach (var helper in shipped.WorkerNodes)
            Eventually.True(() => WorkerStatus(shipped, helper).GetProperty("shippedToolchains").EnumerateArray().Any(t => t.GetProperty("state").GetString() == "held"),
                TimeSpan.FromSeconds(15), $"the helper {helper.Address} to hold the toolchain after a whole Lua build (did it get no job?)").GetAwaiter().GetResult();
        return _comparison.LuaBuilds(tools, rounds);
    }

    // ---- status ----

    private static long ToolchainBytesShipped(Cluster target)
    {
        using var status = target.Status();
        return status.RootElement.GetProperty("coordinators").EnumerateArray().Single().GetProperty("toolchainBytesShipped").GetInt64();
    }

    private static JsonElement WorkerStatus(Cluster target, WorkerNode worker)
    {
        using var status = target.Status();
        return Worker(status, worker).Clone();
    }

    private static JsonElement Worker(JsonDocument status, WorkerNode worker) =>
        status.RootElement.GetProperty("workers").EnumerateArray().Single(w => w.GetProperty("address").GetString() == worker.Address);
}
