using System.Globalization;
using System.Text.RegularExpressions;

namespace ActorCompile.Benchmarks;

/// <summary>
/// ActorCompile side by side with plain gcc and distcc on this machine, alternating the tools run by run
/// (the order rotates each round) so that noise from the shared machine falls on all of them alike.
/// </summary>
public sealed class Comparison
{
    public enum ToolKind { Local, Distcc, ActorCompile, Ccache }

    /// <summary>
    /// One way to run the compiler: the words before the compiler's arguments, and the environment. For an
    /// ActorCompile tool, <paramref name="RemoteOn"/> names the workers every distributable compile must run
    /// on (the bench fails otherwise); null only reports where the compiles ran.
    /// </summary>
    public sealed record Tool(string Name, ToolKind Kind, string[] Prefix, IReadOnlyDictionary<string, string?> Environment, IReadOnlySet<string>? RemoteOn = null);

    public sealed record TrivialResult(Dictionary<string, Summary> PerJob, Dictionary<string, Summary> Breakdown, int ActorCompileLocalRuns, int DistccLocalRuns);
    public sealed record WrapperResult(string Command, Summary Compiler, Summary Wrapper, double MedianOverheadMilliseconds);
    public sealed record BuildResult(string Workload, Dictionary<string, Summary> Seconds, Dictionary<string, string> Objects, Dictionary<string, string> Placement);
    public sealed record MemoryResult(string Node, double PeakResidentMiB);
    public sealed record Breakdown(Dictionary<string, Summary> Phases);

    private static readonly Regex TimingLine = new(@"actorcompile timing: (?<phases>.*); node: queue (?<queue>\d+), remote (?<remote>\d+), worker (?<worker>\d+) \(mirror (?<mirror>\d+), compiler (?<compiler>\d+)\) ms");
    private static readonly Regex Phase = new(@"(?<name>[a-z ]+) \+(?<ms>\d+)");

    private readonly string _dist;
    private readonly string _work;
    private readonly string _workloads;
    private readonly Action<string> _say;

    public Comparison(string dist, string work, string workloads, Action<string> say)
    {
        _dist = dist;
        _work = work;
        _workloads = workloads;
        _say = say;
    }

    public static Tool Local => new("gcc", ToolKind.Local, Array.Empty<string>(), new Dictionary<string, string?>());

    public static Tool DistccTool(Distcc d) => new("distcc", ToolKind.Distcc, new[] { Shell.Find("distcc") }, d.ClientEnvironment);

    /// <param name="strict">ACTORCOMPILE_FALLBACK=0: a compile that cannot be distributed fails instead of compiling locally.</param>
    /// <param name="cache">The result cache for this tool's compiles; off (ACTORCOMPILE_CACHE=0) unless asked, since
    /// the sections that measure the distributed path compile the same sources again and again, which hits would answer.</param>
    public static Tool ActorCompileTool(Cluster c, bool verbose = false, bool timing = false, string name = "ActorCompile", IReadOnlySet<string>? remoteOn = null, bool strict = false,
        bool cache = false)
    {
        var env = new Dictionary<string, string?>(c.ClientEnvironment)
        {
            ["ACTORCOMPILE_VERBOSE"] = verbose ? "1" : null,
            ["ACTORCOMPILE_TIMING"] = timing ? "1" : null,
            ["ACTORCOMPILE_FALLBACK"] = strict ? "0" : null,
            ["ACTORCOMPILE_CACHE"] = cache ? "1" : "0",
        };
        return new(name, ToolKind.ActorCompile, new[] { c.Wrapper }, env, remoteOn);
    }

    public static Outcome RunCompiler(Tool tool, string cwd, params string[] args) => RunCompilerAs(tool, "gcc", cwd, args);

    /// <summary>Runs the tool with the named compiler driver (gcc, g++).</summary>
    public static Outcome RunCompilerAs(Tool tool, string compiler, string cwd, params string[] args)
    {
        var words = tool.Prefix.Concat(new[] { compiler }).Concat(args).ToArray();
        return Shell.Run(words[0], words.Skip(1), cwd, tool.Environment);
    }

    /// <summary>Rotates the order of the tools each round.</summary>
    public static IEnumerable<T> Rotated<T>(IReadOnlyList<T> items, int round) => items.Skip(round % items.Count).Concat(items.Take(round % items.Count));

    private static readonly Regex CompiledOn = new(@"^actorcompile: (?<source>\S+) compiled on (?<worker>\S+) in", RegexOptions.Multiline);

    /// <summary>The workers the wrapper's ACTORCOMPILE_VERBOSE=1 lines say each remote compile ran on.</summary>
    public static List<string> WorkersCompiledOn(string stderr) => CompiledOn.Matches(stderr).Select(m => m.Groups["worker"].Value).ToList();

    /// <summary>1 and 2: the per-job cost of a trivial compile, and the wrapper's cost on commands that stay local.</summary>
    public (TrivialResult Trivial, List<WrapperResult> Wrapper) PerJob(int rounds)
    {
        var dir = Path.Combine(_work, "trivial");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "t.c"), "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n");

        _say("starting one distccd and an ActorCompile coordinator with one worker (2 slots each) on 127.0.0.1");
        using var distcc = new Distcc(Path.Combine(_work, "distcc-1"), daemons: 1, jobsEach: 2);
        // help-after 1h: the coordinator never compiles itself, so every job crosses to the worker as distcc's does.
        using var cluster = new Cluster(_dist, Path.Combine(_work, "cluster-1"), workers: 1, slotsPerWorker: 2, "actorcompile.coordinator.help-after = 1h\n");
        var tools = new[] { Local, DistccTool(distcc), ActorCompileTool(cluster, timing: true) };

        var times = tools.ToDictionary(t => t.Name, _ => new List<double>());
        var phases = new Dictionary<string, List<double>>();
        int acLocal = 0, distccLocal = 0;
        foreach (var t in tools) for (int i = 0; i < 3; i++) Shell.Must(RunCompiler(t, dir, "-c", "t.c", "-o", "t.o"), $"{t.Name} warm-up");
        for (int round = 0; round < rounds; round++)
        {
            foreach (var t in Rotated(tools, round))
            {
                // A source that differs on every run (a comment), so that no cache could answer it.
                File.WriteAllText(Path.Combine(dir, "t.c"), $"/* run {round} {t.Name} */\n#include <stdio.h>\nint main(void) {{ puts(\"hello\"); return 0; }}\n");
                var o = Shell.Must(RunCompiler(t, dir, "-c", "t.c", "-o", "t.o"), $"{t.Name} trivial compile");
                times[t.Name].Add(o.Milliseconds);
                if (t.Name == "distcc" && o.Stderr.Contains("locally", StringComparison.Ordinal)) distccLocal++;
                if (t.Name != "ActorCompile") continue;
                if (!AddTiming(o.Stderr, phases, o.Milliseconds)) acLocal++;
            }
        }
        var trivial = new TrivialResult(times.ToDictionary(kv => kv.Key, kv => Summary.Of(kv.Value)), phases.ToDictionary(kv => kv.Key, kv => Summary.Of(kv.Value)), acLocal, distccLocal);

        var wrapper = new List<WrapperResult>();
        Shell.Must(RunCompiler(Local, dir, "-c", "t.c", "-o", "t.o"), "gcc -c");
        var plainTool = ActorCompileTool(cluster);
        foreach (var (label, args) in new[] { ("gcc -E t.c -o t.i", new[] { "-E", "t.c", "-o", "t.i" }), ("gcc t.o -o t (link)", new[] { "t.o", "-o", "t" }) })
        {
            var plain = new List<double>();
            var wrapped = new List<double>();
            for (int round = 0; round < rounds; round++)
            {
                if (round % 2 == 0) { plain.Add(Shell.Must(RunCompiler(Local, dir, args), label).Milliseconds); wrapped.Add(Shell.Must(RunCompiler(plainTool, dir, args), label).Milliseconds); }
                else { wrapped.Add(Shell.Must(RunCompiler(plainTool, dir, args), label).Milliseconds); plain.Add(Shell.Must(RunCompiler(Local, dir, args), label).Milliseconds); }
            }
            var p = Summary.Of(plain);
            var w = Summary.Of(wrapped);
            wrapper.Add(new WrapperResult(label, p, w, w.Median - p.Median));
        }
        return (trivial, wrapper);
    }

    /// <summary>3 and 5: Lua's make -j and sqlite3.c -O2 -c, local, distcc with two distccd, ActorCompile with two workers; the nodes' peak memory.</summary>
    public (List<BuildResult> Builds, List<MemoryResult> Memory, Breakdown SqliteBreakdown) RealBuilds(int luaRounds, int sqliteRounds)
    {
        _say("starting two distccd and an ActorCompile coordinator with two workers (2 slots each) on 127.0.0.1");
        using var distcc = new Distcc(Path.Combine(_work, "distcc-2"), daemons: 2, jobsEach: 2);
        using var cluster = new Cluster(_dist, Path.Combine(_work, "cluster-2"), workers: 2, slotsPerWorker: 2, "actorcompile.coordinator.help-after = 1h\n");
        var tools = new[] { Local, DistccTool(distcc), ActorCompileTool(cluster, verbose: true) };
        var builds = new List<BuildResult> { LuaBuilds(tools, luaRounds) };
        var memory = cluster.Workers.Select((w, i) => new MemoryResult($"worker {i + 1}", Shell.PeakResidentMiB(w.Pid)))
            .Prepend(new MemoryResult("coordinator", Shell.PeakResidentMiB(cluster.Coordinator.Pid))).ToList();

        // SQLite: one translation unit of 9.5 MB at -O2.
        var sqlite = Path.Combine(_workloads, "sqlite3");
        var sqliteTimes = tools.ToDictionary(t => t.Name, _ => new List<double>());
        var sqliteObjects = tools.ToDictionary(t => t.Name, _ => "");
        var sqlitePlacement = tools.ToDictionary(t => t.Name, _ => "");
        var phases = new Dictionary<string, List<double>>();
        var timed = ActorCompileTool(cluster, verbose: true, timing: true);
        byte[]? sqliteReference = null;
        for (int round = 0; round < sqliteRounds; round++)
        {
            foreach (var t in Rotated(tools, round))
            {
                var output = $"sqlite3-{t.Name}.o";
                File.Delete(Path.Combine(sqlite, output));
                var o = Shell.Must(RunCompiler(t.Name == "ActorCompile" ? timed : t, sqlite, "-O2", "-c", "sqlite3.c", "-o", output), $"sqlite3.c with {t.Name}");
                sqliteTimes[t.Name].Add(o.Milliseconds / 1000);
                var obj = File.ReadAllBytes(Path.Combine(sqlite, output));
                if (t.Name == "gcc") sqliteReference ??= obj;
                sqlitePlacement[t.Name] = t.Name switch
                {
                    "ActorCompile" => o.Stderr.Contains(" compiled on ", StringComparison.Ordinal) ? "remote" : "local",
                    "distcc" => o.Stderr.Contains("locally", StringComparison.Ordinal) ? "fell back locally" : "remote",
                    _ => "local",
                };
                if (sqliteReference is not null && t.Name != "gcc") sqliteObjects[t.Name] = obj.AsSpan().SequenceEqual(sqliteReference) ? "identical" : "DIFFERENT";
                if (t.Name == "ActorCompile") AddTiming(o.Stderr, phases, wallMilliseconds: null);
            }
        }
        sqliteObjects["gcc"] = "reference";
        foreach (var t in tools.Where(t => sqliteObjects[t.Name] == ""))
            sqliteObjects[t.Name] = File.ReadAllBytes(Path.Combine(sqlite, $"sqlite3-{t.Name}.o")).AsSpan().SequenceEqual(sqliteReference) ? "identical" : "DIFFERENT";
        builds.Add(new BuildResult("SQLite amalgamation: gcc -O2 -c sqlite3.c (one 9.5 MB TU)", sqliteTimes.ToDictionary(kv => kv.Key, kv => Summary.Of(kv.Value)), sqliteObjects, sqlitePlacement));
        return (builds, memory, new Breakdown(phases.ToDictionary(kv => kv.Key, kv => Summary.Of(kv.Value))));
    }

    /// <summary>make -j for Lua: two helpers with two slots each, for every tool alike.</summary>
    public const int LuaJobs = 4;

    /// <summary>
    /// Lua 5.4.4's make -j<see cref="LuaJobs"/> linux with each tool, in a tree of its own cleaned before each
    /// build, the order rotating each round; each tool's objects are compared with the local build's (the
    /// tools must include <see cref="Local"/>). Names in the result are the tools' names.
    /// </summary>
    public BuildResult LuaBuilds(IReadOnlyList<Tool> tools, int rounds)
    {
        if (!tools.Any(t => t.Kind == ToolKind.Local)) throw new ArgumentException("the local build is the reference for the objects", nameof(tools));
        var times = tools.ToDictionary(t => t.Name, _ => new List<double>());
        var objects = tools.ToDictionary(t => t.Name, _ => "");
        var placement = tools.ToDictionary(t => t.Name, _ => "");
        Dictionary<string, byte[]>? reference = null;
        foreach (var t in tools) PrepareLuaTree(t);
        for (int round = 0; round < rounds; round++)
        {
            foreach (var t in Rotated(tools, round))
            {
                var o = BuildLua(t);
                times[t.Name].Add(o.Milliseconds / 1000);
                var built = ObjectsIn(LuaTree(t));
                if (t.Kind == ToolKind.Local && reference is null) reference = built;
                placement[t.Name] = Placement(t, o.Stderr, built.Count);
                // A difference in any round stays reported, whatever the later rounds give.
                if (reference is not null && !objects[t.Name].Contains("DIFFERENT", StringComparison.Ordinal)) objects[t.Name] = CompareObjects(reference, built);
            }
        }
        foreach (var t in tools.Where(t => t.Kind == ToolKind.Local)) objects[t.Name] = "reference";
        // The first round may have run a tool before the reference existed: compare again from its tree.
        foreach (var t in tools.Where(t => objects[t.Name] == ""))
            objects[t.Name] = CompareObjects(reference!, ObjectsIn(LuaTree(t)));
        return new BuildResult($"Lua 5.4.4: make -j{LuaJobs} linux (34 TUs, 2 links)", times.ToDictionary(kv => kv.Key, kv => Summary.Of(kv.Value)), objects, placement);
    }

    private string LuaTree(Tool t) => Path.Combine(_work, "lua-" + Regex.Replace(t.Name, "[^A-Za-z0-9]+", "-"));

    /// <summary>A fresh copy of the Lua sources for a tool.</summary>
    public void PrepareLuaTree(Tool t) => PrepareLuaTree(LuaTree(t));

    /// <summary>A fresh copy of the Lua sources at <paramref name="tree"/>.</summary>
    public void PrepareLuaTree(string tree)
    {
        if (Directory.Exists(tree)) Directory.Delete(tree, true);
        Shell.Must(Shell.Run("cp", new[] { "-r", Path.Combine(_workloads, "lua-5.4.4"), tree }, _work), "copying Lua");
    }

    /// <summary>make clean, then one build of Lua with a tool (its tree prepared); fails when a compile ran elsewhere than the tool requires.</summary>
    public Outcome BuildLua(Tool t) => BuildLua(t, LuaTree(t));

    /// <summary>make clean, then one build of the Lua tree at <paramref name="tree"/> with a tool.</summary>
    public Outcome BuildLua(Tool t, string tree)
    {
        Shell.Must(Shell.Run("make", new[] { "-s", "clean" }, tree), "make clean");
        var cc = string.Join(' ', t.Prefix.Append("gcc -std=gnu99"));
        var o = Shell.Must(Shell.Run("make", new[] { "-s", $"-j{LuaJobs}", "linux", $"CC={cc}" }, tree, t.Environment), $"Lua with {t.Name}");
        if (t.RemoteOn is { } workers)
        {
            var on = WorkersCompiledOn(o.Stderr);
            int units = Directory.GetFiles(Path.Combine(tree, "src"), "*.o").Length;
            if (on.Count != units || on.Any(w => !workers.Contains(w)))
                throw new InvalidOperationException($"Lua with {t.Name}: {on.Count} of {units} compiles ran remotely, on {string.Join(", ", on.Distinct())}; all were to run on {string.Join(", ", workers)}:\n{o.Stderr}");
        }
        return o;
    }

    /// <summary>Where a build's compiles ran, from distcc's warnings or the wrapper's verbose lines.</summary>
    private static string Placement(Tool t, string stderr, int units) => t.Kind switch
    {
        ToolKind.ActorCompile => $"{WorkersCompiledOn(stderr).Count} remote, {Regex.Matches(stderr, @" compiled locally| compiling locally").Count} local (last build)",
        ToolKind.Distcc => $"{Regex.Matches(stderr, "locally").Count} fell back locally (last build)",
        _ => $"{units} local",
    };

    /// <summary>
    /// Adds the phases of an ACTORCOMPILE_TIMING=1 line to <paramref name="phases"/>; false when the compile
    /// printed none (it stayed local). With the wall time, the part outside the wrapper's marks (process
    /// start and exit) is added too.
    /// </summary>
    public static bool AddTiming(string stderr, Dictionary<string, List<double>> phases, double? wallMilliseconds)
    {
        var m = TimingLine.Match(stderr);
        if (!m.Success) return false;
        void Add(string name, double v) { if (!phases.TryGetValue(name, out var l)) phases[name] = l = new List<double>(); l.Add(v); }
        var marks = Phase.Matches(m.Groups["phases"].Value)
            .Select(p => (Name: "wrapper: " + p.Groups["name"].Value.Trim(), Milliseconds: double.Parse(p.Groups["ms"].Value, CultureInfo.InvariantCulture)))
            .ToList();
        if (wallMilliseconds is { } wall) Add("wrapper: process start and exit (outside the marks)", wall - marks.Sum(p => p.Milliseconds));
        foreach (var (name, ms) in marks) Add(name, ms);
        foreach (var k in new[] { "queue", "remote", "worker", "mirror", "compiler" })
            Add("node: " + k, double.Parse(m.Groups[k].Value, CultureInfo.InvariantCulture));
        return true;
    }

    /// <summary>The objects of a built Lua tree, by file name.</summary>
    public static Dictionary<string, byte[]> ObjectsIn(string luaTree) =>
        Directory.GetFiles(Path.Combine(luaTree, "src"), "*.o").ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);

    /// <summary>"n/n identical", or "m/n identical (DIFFERENT)" when any object differs, is missing or is extra.</summary>
    public static string CompareObjects(Dictionary<string, byte[]> reference, Dictionary<string, byte[]> objects)
    {
        int same = reference.Count(kv => objects.TryGetValue(kv.Key, out var o) && o.AsSpan().SequenceEqual(kv.Value));
        return same == reference.Count && objects.Count == reference.Count ? $"{same}/{reference.Count} identical" : $"{same}/{reference.Count} identical (DIFFERENT)";
    }
}
