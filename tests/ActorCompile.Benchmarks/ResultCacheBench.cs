using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ActorCompile.Tests;
using static ActorCompile.Benchmarks.Comparison;

namespace ActorCompile.Benchmarks;

/// <summary>
/// The result cache the cluster shares (issue 15) side by side with ccache, in one run, on Lua (make -j4)
/// and the SQLite amalgamation: cold and warm (after make clean) with the cache on, cold with it off, ccache
/// cold and warm, and plain gcc as the reference every object is compared with. Then one Lua unit on its
/// own with the caches warm: the wrapper's time from start to exit on a hit, against ccache's hit.
/// </summary>
public sealed class ResultCacheBench
{
    /// <summary>What a cache did in one kind of build, summed over its builds (ccache: direct hits are its direct-mode hits).</summary>
    public sealed record Counters(long Hits, long DirectHits, long Misses, long Verified, long Discrepancies)
    {
        public static readonly Counters None = new(0, 0, 0, 0, 0);
        public long Lookups => Hits + Misses + Verified + Discrepancies;
        public Counters Plus(Counters o) => new(Hits + o.Hits, DirectHits + o.DirectHits, Misses + o.Misses, Verified + o.Verified, Discrepancies + o.Discrepancies);
        public Counters Minus(Counters o) => new(Hits - o.Hits, DirectHits - o.DirectHits, Misses - o.Misses, Verified - o.Verified, Discrepancies - o.Discrepancies);

        public string Cell(bool verifies) => verifies
            ? string.Create(CultureInfo.InvariantCulture, $"hits {Hits} (direct {DirectHits}), misses {Misses}, verified {Verified}, discrepancies {Discrepancies}")
            : string.Create(CultureInfo.InvariantCulture, $"hits {Hits} (direct {DirectHits}), misses {Misses}");
    }

    /// <summary>
    /// One kind of build of a workload: its wall times, what the cache counted, how its objects compare; every
    /// build's seconds in the order they ran, with the machine's load average (1 min) when each ended.
    /// </summary>
    public sealed record Row(string Workload, string Tool, string Build, Summary Seconds, string Counters, string Objects, List<double> EachBuild, List<double> LoadAfterEach);

    /// <summary>One unit compiled again and again with the caches warm: milliseconds from start to exit per tool, and what the ActorCompile runs were.</summary>
    public sealed record PerUnit(string Command, Summary Gcc, Summary Ccache, Summary ActorCompile, Summary ActorCompileHits, int Runs,
        int Fetched, int VerifiedLocally, int DirectRuns, int ScanRuns, Counters ActorCompileCounters, Counters CcacheCounters, Dictionary<string, Summary> Phases, string Objects);

    /// <summary>Where SQLite's cold compile went (ACTORCOMPILE_TIMING=1), milliseconds, with the cache on and off: the lookup and keeping are the difference.</summary>
    public sealed record SqliteBreakdown(Dictionary<string, Summary> CacheOn, Dictionary<string, Summary> CacheOff);

    public sealed record Result(List<Row> Rows, PerUnit Unit, SqliteBreakdown Sqlite, int LuaRounds, int SqliteRounds);

    private sealed record Build(Outcome Outcome, Dictionary<string, byte[]> Objects);

    /// <summary>The builds of one workload, by kind ("on cold", "ccache warm", ...): times, loads, counters, objects and timing phases.</summary>
    private sealed class Measurements
    {
        public readonly Dictionary<string, List<double>> Seconds = new();
        public readonly Dictionary<string, List<double>> Loads = new();
        public readonly Dictionary<string, Counters> Counters = new();
        public readonly Dictionary<string, List<(int Round, Dictionary<string, byte[]> Objects)>> Objects = new();
        public readonly Dictionary<string, Dictionary<string, List<double>>> Phases = new();

        public void Record(string kind, int round, Build b, Counters? c = null)
        {
            (Seconds.TryGetValue(kind, out var t) ? t : Seconds[kind] = new()).Add(b.Outcome.Milliseconds / 1000);
            (Loads.TryGetValue(kind, out var l) ? l : Loads[kind] = new()).Add(LoadAverage());
            (Objects.TryGetValue(kind, out var o) ? o : Objects[kind] = new()).Add((round, b.Objects));
            if (c is not null) Counters[kind] = (Counters.GetValueOrDefault(kind) ?? ResultCacheBench.Counters.None).Plus(c);
            AddTiming(b.Outcome.Stderr, Phases.TryGetValue(kind, out var p) ? p : Phases[kind] = new(), wallMilliseconds: null);
        }
    }

    /// <summary>The machine's load average over the last minute.</summary>
    public static double LoadAverage() => double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);

    /// <summary>help-after 1h: the coordinator never compiles itself, so every miss crosses to a worker, as in the builds section.</summary>
    private const string NoHelp = "actorcompile.coordinator.help-after = 1h\n";
    private const string Lua = "Lua 5.4.4: make -j4 linux (34 TUs, 2 links)";
    private const string Sqlite = "SQLite amalgamation: gcc -O2 -c sqlite3.c (one 9.5 MB TU)";
    private const string Unit = "lvm.c";

    private readonly string _dist;
    private readonly string _work;
    private readonly string _workloads;
    private readonly Comparison _comparison;
    private readonly Action<string> _say;
    private readonly List<Row> _rows = new();

    public ResultCacheBench(string dist, string work, string workloads, Action<string> say)
    {
        _dist = dist;
        _work = Path.Combine(work, "cache");
        _workloads = workloads;
        _comparison = new Comparison(dist, _work, workloads, say);
        _say = say;
        Directory.CreateDirectory(_work);
    }

    public Result Run(int luaRounds, int sqliteRounds, int unitRuns)
    {
        _say("starting an ActorCompile coordinator with two workers (2 slots each) on 127.0.0.1, each node with an empty result cache of its own");
        using var cluster = new Cluster(_dist, Path.Combine(_work, "cluster"), workers: 2, slotsPerWorker: 2, NoHelp);
        var on = ActorCompileTool(cluster, verbose: true, timing: true, name: "ActorCompile, cache on", cache: true);
        var off = ActorCompileTool(cluster, verbose: true, timing: true, name: "ActorCompile, cache off", cache: false);
        _say($"Lua: a build with the cache off first, not counted (the nodes take in the sources and headers once); then {luaRounds} rounds, tools alternated");
        var warmUp = Path.Combine(_work, "lua-warm-up");
        _comparison.PrepareLuaTree(warmUp);
        _comparison.BuildLua(off, warmUp);
        var (lastOn, lastCcache) = LuaRounds(cluster, on, off, luaRounds);
        _say($"one unit ({Unit}) with the caches warm, {unitRuns} runs each");
        var unit = UnitOnItsOwn(cluster, on, lastOn, lastCcache, unitRuns);
        _say($"SQLite: {sqliteRounds} rounds, tools alternated (one -O0 compile with the cache off first, not counted: the node takes in sqlite3.c once)");
        var sqlite = SqliteRounds(cluster, on, off, sqliteRounds);
        return new Result(_rows, unit, sqlite, luaRounds, sqliteRounds);
    }

    /// <summary>A ccache run with its own cache directory (empty until the first build), in its default (direct) mode.</summary>
    private static Tool CcacheTool(string directory) =>
        new("ccache", ToolKind.Ccache, new[] { Shell.Find("ccache") }, new Dictionary<string, string?> { ["CCACHE_DIR"] = directory });

    /// <summary>
    /// Each round: the cache on, cold then warm in the same tree (a tree of its own each round: the key holds the
    /// directory, so none of the earlier rounds' results serve it); the cache off in a fresh tree; ccache cold and
    /// warm with an empty cache directory of its own; plain gcc. Returns the last round's trees with the cache on and with ccache.
    /// </summary>
    private (string On, (string Tree, Tool Tool) Ccache) LuaRounds(Cluster cluster, Tool on, Tool off, int rounds)
    {
        var m = new Measurements();
        var gccTree = Path.Combine(_work, "lua-gcc");
        _comparison.PrepareLuaTree(gccTree);
        string lastOn = "";
        (string, Tool) lastCcache = ("", Local);
        var kinds = new (string Name, Action<int> Run)[]
        {
            ("ActorCompile", round =>
            {
                var tree = Path.Combine(_work, $"lua-on-{round}");
                _comparison.PrepareLuaTree(tree);
                var (cold, coldCounters) = WithCacheCounters(cluster, () => LuaBuild(on, tree));
                m.Record("on cold", round, cold, coldCounters);
                var (warm, warmCounters) = WithCacheCounters(cluster, () => LuaBuild(on, tree));
                m.Record("on warm", round, warm, warmCounters);
                lastOn = tree;
            }),
            ("ActorCompile, cache off", round =>
            {
                var tree = Path.Combine(_work, $"lua-off-{round}");
                _comparison.PrepareLuaTree(tree);
                m.Record("off cold", round, LuaBuild(off, tree));
            }),
            ("ccache", round =>
            {
                var tree = Path.Combine(_work, $"lua-ccache-{round}");
                var tool = CcacheTool(Path.Combine(_work, $"ccache-lua-{round}"));
                _comparison.PrepareLuaTree(tree);
                var (cold, coldCounters) = WithCcacheCounters(tool, tree, () => LuaBuild(tool, tree));
                m.Record("ccache cold", round, cold, coldCounters);
                var (warm, warmCounters) = WithCcacheCounters(tool, tree, () => LuaBuild(tool, tree));
                m.Record("ccache warm", round, warm, warmCounters);
                lastCcache = (tree, tool);
            }),
            ("gcc", round => m.Record("gcc", round, LuaBuild(Local, gccTree))),
        };
        for (int round = 0; round < rounds; round++)
            foreach (var k in Rotated(kinds, round))
            {
                _say($"  Lua round {round + 1}: {k.Name}");
                k.Run(round);
            }
        AddRows(Lua, m, (a, b) => CompareObjects(a, b));
        return (lastOn, lastCcache);
    }

    /// <summary>make clean and make -j4 in the tree with the tool; the objects it built.</summary>
    private Build LuaBuild(Tool tool, string tree)
    {
        var o = _comparison.BuildLua(tool, tree);
        return new Build(o, ObjectsIn(tree));
    }

    /// <summary>Each round as Lua's, with sqlite3.c compiled once (cold) and again after its object is removed (warm).</summary>
    private SqliteBreakdown SqliteRounds(Cluster cluster, Tool on, Tool off, int rounds)
    {
        var m = new Measurements();
        var warmUp = SqliteTree("warm-up");
        Shell.Must(RunCompiler(off, warmUp, "-O0", "-c", "sqlite3.c", "-o", "sqlite3.o"), "sqlite3.c -O0 with the cache off");
        var gccTree = SqliteTree("gcc");
        var kinds = new (string Name, Action<int> Run)[]
        {
            ("ActorCompile", round =>
            {
                var tree = SqliteTree($"on-{round}");
                var (cold, coldCounters) = WithCacheCounters(cluster, () => SqliteBuild(on, tree));
                m.Record("on cold", round, cold, coldCounters);
                var (warm, warmCounters) = WithCacheCounters(cluster, () => SqliteBuild(on, tree));
                m.Record("on warm", round, warm, warmCounters);
            }),
            ("ActorCompile, cache off", round => m.Record("off cold", round, SqliteBuild(off, SqliteTree($"off-{round}")))),
            ("ccache", round =>
            {
                var tree = SqliteTree($"ccache-{round}");
                var tool = CcacheTool(Path.Combine(_work, $"ccache-sqlite-{round}"));
                var (cold, coldCounters) = WithCcacheCounters(tool, tree, () => SqliteBuild(tool, tree));
                m.Record("ccache cold", round, cold, coldCounters);
                var (warm, warmCounters) = WithCcacheCounters(tool, tree, () => SqliteBuild(tool, tree));
                m.Record("ccache warm", round, warm, warmCounters);
            }),
            ("gcc", round => m.Record("gcc", round, SqliteBuild(Local, gccTree))),
        };
        for (int round = 0; round < rounds; round++)
            foreach (var k in Rotated(kinds, round))
            {
                _say($"  SQLite round {round + 1}: {k.Name}");
                k.Run(round);
            }
        AddRows(Sqlite, m, (a, b) => a["sqlite3.o"].AsSpan().SequenceEqual(b["sqlite3.o"]) ? "identical" : "DIFFERENT");
        Dictionary<string, Summary> Phases(string kind) => m.Phases[kind].ToDictionary(kv => kv.Key, kv => Summary.Of(kv.Value));
        return new SqliteBreakdown(Phases("on cold"), Phases("off cold"));
    }

    /// <summary>A fresh directory holding the amalgamation.</summary>
    private string SqliteTree(string name)
    {
        var tree = Path.Combine(_work, "sqlite-" + name);
        if (Directory.Exists(tree)) Directory.Delete(tree, true);
        Shell.Must(Shell.Run("cp", new[] { "-r", Path.Combine(_workloads, "sqlite3"), tree }, _work), "copying SQLite");
        return tree;
    }

    /// <summary>The object removed (make clean), then sqlite3.c compiled at -O2 with the tool.</summary>
    private static Build SqliteBuild(Tool tool, string tree)
    {
        File.Delete(Path.Combine(tree, "sqlite3.o"));
        var o = Shell.Must(RunCompiler(tool, tree, "-O2", "-c", "sqlite3.c", "-o", "sqlite3.o"), $"sqlite3.c with {tool.Name}");
        return new Build(o, new Dictionary<string, byte[]> { ["sqlite3.o"] = File.ReadAllBytes(Path.Combine(tree, "sqlite3.o")) });
    }

    /// <summary>
    /// The table's rows for a workload. Every object is compared with plain gcc's (the first gcc build; every gcc
    /// build must equal it too), and each warm build's with the cold build of its round.
    /// </summary>
    private void AddRows(string workload, Measurements m, Func<Dictionary<string, byte[]>, Dictionary<string, byte[]>, string> compare)
    {
        var objects = m.Objects;
        var reference = objects["gcc"][0].Objects;
        string Against(string key, Func<int, Dictionary<string, byte[]>> baseline)
        {
            // The worst round is the one reported: a difference in any round stays visible.
            var results = objects[key].Select(b => compare(baseline(b.Round), b.Objects)).ToList();
            return results.FirstOrDefault(r => r.Contains("DIFFERENT", StringComparison.Ordinal)) ?? results[0];
        }
        Dictionary<string, byte[]> ColdOf(string coldKey, int round) => objects[coldKey].Single(b => b.Round == round).Objects;
        string Objects(string key) => key switch
        {
            "gcc" => $"reference ({Against(key, _ => reference)} across rounds)",
            "on warm" => $"{Against(key, _ => reference)} to gcc; {Against(key, r => ColdOf("on cold", r))} to the cold build",
            "ccache warm" => $"{Against(key, _ => reference)} to gcc; {Against(key, r => ColdOf("ccache cold", r))} to the cold build",
            _ => $"{Against(key, _ => reference)} to gcc",
        };
        foreach (var (key, tool, build) in new[]
        {
            ("gcc", "gcc, no cache", "full"),
            ("on cold", "ActorCompile, cache on", "cold: empty for this tree"),
            ("on warm", "ActorCompile, cache on", "warm: make clean, again"),
            ("off cold", "ActorCompile, cache off (ACTORCOMPILE_CACHE=0)", "cold"),
            ("ccache cold", "ccache gcc", "cold: empty CCACHE_DIR"),
            ("ccache warm", "ccache gcc", "warm: make clean, again"),
        })
        {
            var c = m.Counters.TryGetValue(key, out var n) ? n.Cell(verifies: key.StartsWith("on", StringComparison.Ordinal)) : "–";
            _rows.Add(new Row(workload, tool, build, Summary.Of(m.Seconds[key]), c, Objects(key), m.Seconds[key], m.Loads[key]));
        }
    }

    /// <summary>
    /// Runs a build and returns what the cluster's counters gained by it. The coordinator publishes its counters
    /// about once a second: they are read when they account for every compile the wrapper says reached the cache
    /// (a remote compile after a miss, a hit fetched, a hit compiled locally to check it).
    /// </summary>
    private static (Build Build, Counters Counters) WithCacheCounters(Cluster cluster, Func<Build> build)
    {
        var before = CacheCounters(cluster);
        var b = build();
        var stderr = b.Outcome.Stderr;
        int reached = WorkersCompiledOn(stderr).Count + Count(stderr, " fetched from the result cache") + Count(stderr, " compiled locally (to check a remote or cached result)");
        var gained = Eventually.Get(() => Task.FromResult(CacheCounters(cluster).Minus(before) is var d && d.Lookups >= reached ? d : null),
            TimeSpan.FromSeconds(60), $"the coordinator's cache counters to count {reached} lookups").GetAwaiter().GetResult();
        return (b, gained);
    }

    private static int Count(string text, string what) => Regex.Matches(text, Regex.Escape(what)).Count;

    /// <summary>The cluster's totals from <c>actorcompile cache stats --json</c>.</summary>
    private static Counters CacheCounters(Cluster cluster)
    {
        using var stats = cluster.CacheStats();
        var t = stats.RootElement.GetProperty("totals");
        long Get(string name) => t.GetProperty(name).GetInt64();
        return new Counters(Get("hits"), Get("directHits"), Get("misses"), Get("verified"), Get("discrepancies"));
    }

    /// <summary>Runs a build and returns what ccache's statistics gained by it (ccache writes them before it exits).</summary>
    private static (Build Build, Counters Counters) WithCcacheCounters(Tool ccache, string cwd, Func<Build> build)
    {
        var before = CcacheCounters(ccache, cwd);
        var b = build();
        return (b, CcacheCounters(ccache, cwd).Minus(before));
    }

    /// <summary>ccache --print-stats (key, tab, value): hits are direct and preprocessed hits.</summary>
    private static Counters CcacheCounters(Tool ccache, string cwd)
    {
        var o = Shell.Must(Shell.Run(ccache.Prefix[0], new[] { "--print-stats" }, cwd, ccache.Environment), "ccache --print-stats");
        var stats = o.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t'))
            .Where(p => p.Length == 2).ToDictionary(p => p[0], p => long.Parse(p[1], CultureInfo.InvariantCulture));
        long direct = stats.GetValueOrDefault("direct_cache_hit"), preprocessed = stats.GetValueOrDefault("preprocessed_cache_hit");
        return new Counters(direct + preprocessed, direct, stats.GetValueOrDefault("cache_miss"), 0, 0);
    }

    /// <summary>
    /// One Lua unit compiled with the command make gave it, in the trees the rounds left warm: plain gcc, ccache
    /// (a hit) and ActorCompile (a hit), alternated, the wrapper timed from start to exit with ACTORCOMPILE_TIMING=1.
    /// The object is removed before each run and compared with gcc's after it.
    /// </summary>
    private PerUnit UnitOnItsOwn(Cluster cluster, Tool on, string onTree, (string Tree, Tool Tool) ccache, int runs)
    {
        var args = UnitCommand(onTree);
        var timed = on with { Environment = new Dictionary<string, string?>(on.Environment) { ["ACTORCOMPILE_TIMING"] = "1" } };
        var gccDirectory = Path.Combine(_work, "lua-gcc", "src");
        var tools = new (Tool Tool, string Directory)[] { (Local, gccDirectory), (ccache.Tool, Path.Combine(ccache.Tree, "src")), (timed, Path.Combine(onTree, "src")) };
        var object_ = args[Array.IndexOf(args, "-o") + 1];
        var times = tools.ToDictionary(t => t.Tool.Name, _ => new List<double>());
        var hitTimes = new List<double>();
        var phases = new Dictionary<string, List<double>>();
        int fetched = 0, verified = 0, direct = 0, scan = 0;
        var objects = "identical";
        var ccacheBefore = CcacheCounters(ccache.Tool, ccache.Tree);
        var before = CacheCounters(cluster);
        byte[]? reference = null;
        for (int run = 0; run < runs; run++)
            foreach (var (tool, directory) in Rotated(tools, run))
            {
                var output = Path.Combine(directory, object_);
                File.Delete(output);
                var o = Shell.Must(RunCompiler(tool, directory, args), $"{Unit} with {tool.Name}");
                times[tool.Name].Add(o.Milliseconds);
                var built = File.ReadAllBytes(output);
                if (tool.Kind == ToolKind.Local) reference ??= built;
                else if (reference is not null && !built.AsSpan().SequenceEqual(reference)) objects = $"DIFFERENT ({tool.Name})";
                if (tool.Kind != ToolKind.ActorCompile) continue;
                if (o.Stderr.Contains(" fetched from the result cache", StringComparison.Ordinal)) { fetched++; hitTimes.Add(o.Milliseconds); }
                if (o.Stderr.Contains(" compiled locally (to check a remote or cached result)", StringComparison.Ordinal)) verified++;
                var p = new Dictionary<string, List<double>>();
                if (AddTiming(o.Stderr, p, o.Milliseconds))
                    foreach (var (k, v) in p.Where(kv => !kv.Key.StartsWith("node:", StringComparison.Ordinal)))
                        (phases.TryGetValue(k, out var l) ? l : phases[k] = new()).AddRange(v);
            }
        int reached = fetched + verified;
        var acCounters = Eventually.Get(() => Task.FromResult(CacheCounters(cluster).Minus(before) is var d && d.Lookups >= reached ? d : null),
            TimeSpan.FromSeconds(60), $"the coordinator's cache counters to count {reached} lookups").GetAwaiter().GetResult();
        var ccacheCounters = CcacheCounters(ccache.Tool, ccache.Tree).Minus(ccacheBefore);
        // A direct hit is one for which the wrapper read no file (every version remembered by the node): the node counts them.
        direct = (int)acCounters.DirectHits;
        scan = (int)(acCounters.Hits - acCounters.DirectHits);
        return new PerUnit("gcc " + string.Join(' ', args), Summary.Of(times[Local.Name]), Summary.Of(times[ccache.Tool.Name]), Summary.Of(times[on.Name]), Summary.Of(hitTimes), runs,
            fetched, verified, direct, scan, acCounters, ccacheCounters, phases.ToDictionary(kv => kv.Key, kv => Summary.Of(kv.Value)), objects);
    }

    /// <summary>The arguments make gives gcc for the unit (make -n in the tree's src, with the CC the builds use).</summary>
    private static string[] UnitCommand(string tree)
    {
        var o = Shell.Must(Shell.Run("make", new[] { "-n", "-B", "linux", "CC=gcc -std=gnu99" }, Path.Combine(tree, "src")), "make -n");
        var line = o.Stdout.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("gcc ", StringComparison.Ordinal) && l.EndsWith(" " + Unit, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"make -n names no compile of {Unit}:\n{o.Stdout}");
        return line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToArray();
    }

    /// <summary>The section's markdown: the table, the goals, the unit on its own.</summary>
    public static string Markdown(Result r, string stamp, string machine, (double Start, double End) load, string uptime)
    {
        var inv = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine(inv, $"### Result cache against ccache ({stamp}, {machine})");
        md.AppendLine();
        md.AppendLine("Reproduce: `./build.sh bench --only cache` (`--quick`: one round each).");
        // The machine is shared: what else ran says how far these figures are from a quiet machine's.
        md.AppendLine(inv, $"Load average (1 min) at the start and the end of the section: {load.Start:0.0} and {load.End:0.0} (`uptime` at the end: {uptime}).");
        md.AppendLine();
        md.Append(inv, $"Seconds of wall time, median (min–max) over {r.LuaRounds} rounds for Lua and {r.SqliteRounds} for SQLite, the tools alternated round by round. ");
        md.AppendLine("ActorCompile: a coordinator (not compiling itself) and two workers (2 slots each) on 127.0.0.1, each node with a result cache of its own, empty at the start; "
            + "the cache's default settings (verify-rate 1 %: a hit is compiled locally instead, to check it, one time in a hundred). "
            + "Each round builds with the cache on in a fresh copy of the sources (the key holds the working directory, so the earlier rounds' results do not serve it: cold), "
            + "then `make clean` and again in the same directory (warm). ccache: `CC=\"ccache gcc\"`, default (direct) mode, an empty `CCACHE_DIR` each round. "
            + "Before the rounds, one Lua build with the cache off, not counted, lets the nodes take in the sources and headers (content-addressed: every round's copy then finds them). "
            + "Counters: ActorCompile's from `actorcompile cache stats --json` (totals), ccache's from `ccache --print-stats`, summed over the builds of the row. All on the same machine, so the helpers share its cores.");
        md.AppendLine();
        md.AppendLine("| workload | tool | build | seconds | cache counters | objects |");
        md.AppendLine("|---|---|---|---:|---|---|");
        foreach (var row in r.Rows)
            md.AppendLine(inv, $"| {row.Workload} | {row.Tool} | {row.Build} | {row.Seconds.Cell("0.00")} | {row.Counters} | {row.Objects} |");
        md.AppendLine();
        md.AppendLine("| workload | cold, cache on / cache off | goal: within 3 % | warm / cold, cache on | ccache warm / cold | ActorCompile warm / ccache warm |");
        md.AppendLine("|---|---:|---|---:|---:|---:|");
        foreach (var workload in r.Rows.Select(x => x.Workload).Distinct())
        {
            double Median(string tool, string buildStart) => r.Rows.Single(x => x.Workload == workload && x.Tool == tool && x.Build.StartsWith(buildStart, StringComparison.Ordinal)).Seconds.Median;
            double onOff = Median("ActorCompile, cache on", "cold") / Median("ActorCompile, cache off (ACTORCOMPILE_CACHE=0)", "cold");
            md.AppendLine(inv, $"| {workload} | {onOff:0.000} | {(onOff <= 1.03 ? "met" : "not met")} | {Median("ActorCompile, cache on", "warm") / Median("ActorCompile, cache on", "cold"):0.000} | "
                + $"{Median("ccache gcc", "warm") / Median("ccache gcc", "cold"):0.000} | {Median("ActorCompile, cache on", "warm") / Median("ccache gcc", "warm"):0.00} |");
        }
        md.AppendLine();
        md.AppendLine("Where SQLite's cold compile went with the cache on and off (`ACTORCOMPILE_TIMING=1`), milliseconds: median (min–max). "
            + "With the cache on, the lookup (a miss) lies between \"manifest sent\" and the node's queue, inside \"result\"; the result is kept after the wrapper has it.");
        md.AppendLine();
        md.AppendLine("| phase | cache on | cache off |");
        md.AppendLine("|---|---:|---:|");
        foreach (var (k, v) in r.Sqlite.CacheOn) md.AppendLine(inv, $"| {k} | {v.Cell("0")} | {(r.Sqlite.CacheOff.TryGetValue(k, out var o) ? o.Cell("0") : "n/a")} |");
        md.AppendLine();
        md.AppendLine("Every build's seconds in the order the rounds ran them, with the load average (1 min) when it ended, are in cache.json (`rows[].eachBuild`, `rows[].loadAfterEach`).");
        md.AppendLine();
        var u = r.Unit;
        string kind = u.DirectRuns > 0 && u.ScanRuns == 0 ? "direct hits (the wrapper read no file)"
            : u.DirectRuns == 0 && u.ScanRuns > 0 ? "hits that read files (not direct)"
            : $"mixed: {u.DirectRuns} direct, {u.ScanRuns} that read files";
        md.AppendLine(inv, $"One unit with the caches warm (the last round's trees), `{u.Command}` in Lua's src, {u.Runs} runs each, alternated, milliseconds from start to exit: median (min–max). The object is removed before each run and compared with gcc's after it: {u.Objects}.");
        md.AppendLine();
        md.AppendLine("| gcc, no cache | ccache, hit | ActorCompile, all runs | ActorCompile, hits only | ActorCompile's hits were | hits only / ccache | goal: a direct hit at most 1.2 times ccache's |");
        md.AppendLine("|---:|---:|---:|---:|---|---:|---|");
        double ratio = u.Ccache.Median > 0 ? u.ActorCompileHits.Median / u.Ccache.Median : double.NaN;
        string goal = u.DirectRuns == 0 ? "not measured (no direct hit)" : ratio <= 1.2 ? "met" : "not met";
        md.AppendLine(inv, $"| {u.Gcc.Cell()} | {u.Ccache.Cell()} | {u.ActorCompile.Cell()} | {u.ActorCompileHits.Cell()} | {kind} | {ratio:0.00} | {goal} |");
        md.AppendLine();
        md.AppendLine(inv, $"ActorCompile's runs: {u.Fetched} fetched from the cache, {u.VerifiedLocally} compiled locally to check a hit (verify-rate); its counters: {u.ActorCompileCounters.Cell(verifies: true)}. "
            + $"ccache's: {u.CcacheCounters.Cell(verifies: false)}.");
        md.AppendLine();
        md.AppendLine("Where a hit's time goes in the wrapper (`ACTORCOMPILE_TIMING=1`), milliseconds: median (min–max). The marks follow one another; \"process start and exit\" is the rest of the wall time.");
        md.AppendLine();
        md.AppendLine("| phase | ms |");
        md.AppendLine("|---|---:|");
        foreach (var (k, v) in u.Phases) md.AppendLine(inv, $"| {k} | {v.Cell()} |");
        return md.ToString();
    }

    /// <summary>Whether any object of the section differed from gcc's or from its cold build's.</summary>
    public static bool AnyDifferent(Result r) =>
        r.Rows.Any(x => x.Objects.Contains("DIFFERENT", StringComparison.Ordinal)) || r.Unit.Objects.Contains("DIFFERENT", StringComparison.Ordinal);
}
