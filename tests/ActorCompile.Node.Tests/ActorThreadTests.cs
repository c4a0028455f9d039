using System.Reflection;
using Akka.Actor;
using System.Reflection.Emit;
using Xunit;

namespace ActorCompile.Node.Tests;

/// <summary>
/// What the actors of the node run on their own thread (issue 22: "everything blocking or CPU-heavy off actor
/// threads, enforced by a test, not by review"). Read from the compiled IL: from each actor's constructors and
/// lifecycle overrides, every method it calls and every handler it registers (a lambda it makes), through the
/// project's own classes, but not into a delegate handed to Task.Run (the pool's, then piped back). A call to the
/// file system, a hash, LZ4, a process, a sleep of the thread or a blocking wait on that path is a finding, named by the
/// actor and the first of the project's classes it goes through.
/// Its limits: a delegate given to one of the project's own methods is not followed (it may run anywhere), so a
/// helper's LINQ lambda is not seen; hashing a few bytes counts as much as a file's.
/// </summary>
public sealed class ActorThreadTests
{
    /// <summary>
    /// Found when this test was written (2026-12-07): each to move off the actor's thread through the one mechanism the
    /// rest uses (Task.Run and PipeTo), or to keep with its reason (a hash of a few bytes costs less than the hop). The
    /// test fails on a finding not listed here, and on a listed one that is gone (remove it from the list then).
    /// </summary>
    private static readonly string[] Known =
    {
        "CoordinatorActor -> CallerAnswers`1.Get (hashing)",          // SHA-256 of a short key per wrapper's question: microseconds
        "CoordinatorActor -> CallerAnswers`1.Set (hashing)",
        "ResultCacheActor -> ResultStore.Forget (file system)",       // a rejected entry deleted at once: no lookup after the rejection may find it
        "WrapperSession -> JobFiles.Round (hashing)",                 // a round with no uploads (lookups only) answered inline; uploads go to Task.Run
        "WrapperSession -> JobFiles.Resolve (hashing)",               // a manifest with no uploads (lookups only): Take hashes nothing then
        "WrapperSession -> ResultKey.Compute (hashing)",              // the result key: SHA-256 over the job's names and hashes
    };

    private static readonly Assembly[] Ours =
    {
        typeof(ActorCompile.Node.Sessions.WrapperSession).Assembly, typeof(ActorCompile.Coordinator.Actors.CoordinatorActor).Assembly,
        typeof(ActorCompile.Worker.Actors.WorkerActor).Assembly, typeof(ActorCompile.Protocol.Cluster.GatheringScheduler).Assembly,
        typeof(ActorCompile.Toolchain.Jobs.ContentHash).Assembly, typeof(ActorCompile.LocalProtocol.ExitCodes).Assembly,
    };

    [Fact]
    public void Nothing_blocking_runs_on_an_actors_thread_but_what_is_known_and_listed()
    {
        var actors = Ours.Take(4).SelectMany(a => a.GetTypes()).Where(t => typeof(Akka.Actor.ActorBase).IsAssignableFrom(t) && !t.IsAbstract).ToList();
        Assert.Contains(actors, t => t.Name == "WrapperSession"); // the scan sees the actors at all
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var actor in actors) found.UnionWith(Findings(actor));
        var unexpected = found.Except(Known).ToList();
        var gone = Known.Except(found).ToList();
        Assert.True(unexpected.Count == 0 && gone.Count == 0,
            $"blocking work on an actor's thread not known: {string.Join("; ", unexpected)}\nknown and no longer found (remove from Known): {string.Join("; ", gone)}");
    }

    [Fact]
    public void The_scan_finds_a_file_read_in_a_handler_and_not_in_a_task()
    {
        // The control: proves the scan sees through a handler lambda and a helper, and leaves a Task.Run's delegate alone.
        Assert.Equal(new[] { "ProbeActor -> ProbeHelper.Read (file system)" }, Findings(typeof(ProbeActor)));
    }

    private sealed class ProbeHelper
    {
        public static string Read(string path) => File.ReadAllText(path);
        public static string Pure(string path) => Path.GetFileName(path);
    }

    private sealed class ProbeActor : Akka.Actor.ReceiveActor
    {
        public ProbeActor()
        {
            Receive<string>(p => Sender.Tell(ProbeHelper.Read(p)));
            Receive<int>(_ => Task.Run(() => File.ReadAllText("/proc/loadavg")).PipeTo(Self));
            Receive<long>(_ => Sender.Tell(ProbeHelper.Pure("/a/b")));
        }
    }

    /// <summary>"Actor -> FirstHelper.Method (category)" for each banned call reachable on the actor's thread.</summary>
    private static SortedSet<string> Findings(Type actor)
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        var own = new HashSet<Type>(new[] { actor }.Concat(Nested(actor)));
        var scope = Ours.Append(actor.Assembly).ToHashSet();
        var seen = new HashSet<(MethodBase, string?)>();
        // Entry: the first of the project's classes outside the actor on the path; Named: the last named method of the actor itself.
        var queue = new Queue<(MethodBase Method, string? Entry, string Named)>();
        foreach (var m in Methods(actor).Where(m => m.IsConstructor || m is MethodInfo mi && mi.GetBaseDefinition().DeclaringType != actor && !mi.IsAbstract))
            queue.Enqueue((m, null, m.IsConstructor ? "constructor" : m.Name));
        while (queue.Count > 0)
        {
            var (m, entry, named) = queue.Dequeue();
            if (!seen.Add((m, entry ?? named))) continue;
            bool inActor = m.DeclaringType is { } dt && own.Contains(dt);
            var offThread = OffThreadTargets(m).ToHashSet();
            foreach (var (op, callee) in Instructions(m))
            {
                if (callee is null || offThread.Contains(callee)) continue;
                bool isDelegate = op == OpCodes.Ldftn || op == OpCodes.Ldvirtftn;
                if (isDelegate && !inActor) continue; // a helper's delegate: where it runs is not known here
                if (!isDelegate && Banned(callee) is { } why)
                {
                    found.Add($"{actor.Name} -> {entry ?? $"{actor.Name}.{named}"} ({why})");
                    continue;
                }
                if (callee.DeclaringType is not { } d || !scope.Contains(d.Assembly) && !own.Contains(d)) continue;
                if (typeof(Akka.Actor.ActorBase).IsAssignableFrom(d) && !own.Contains(d)) continue; // another actor: its own thread
                if (own.Contains(d)) queue.Enqueue((callee, entry, entry is null && IsEntryWorthy(callee) ? callee.Name : named));
                else queue.Enqueue((callee, entry ?? $"{d.Name}.{callee.Name}", named));
            }
        }
        return found;
    }

    /// <summary>A method of the actor itself that names a finding better than its handler lambda (a named helper method of the actor).</summary>
    private static bool IsEntryWorthy(MethodBase m) => !m.Name.Contains('<', StringComparison.Ordinal) && !m.IsConstructor;

    private static string? Banned(MethodBase m)
    {
        var d = m.DeclaringType;
        if (d is null) return null;
        var n = d.FullName ?? d.Name;
        if (n is "System.IO.File" or "System.IO.Directory" or "System.IO.FileInfo" or "System.IO.DirectoryInfo" or "System.IO.FileSystemInfo" or "System.IO.FileStream" or "System.IO.RandomAccess")
            return "file system";
        if (n.StartsWith("System.Security.Cryptography", StringComparison.Ordinal) && !n.Contains("X509", StringComparison.Ordinal)) return "hashing";
        if (n.StartsWith("K4os.Compression", StringComparison.Ordinal)) return "compression";
        if (n == "System.Diagnostics.Process") return "process";
        if (n == "System.Threading.Thread" && m.Name == "Sleep") return "sleep";
        if (n.StartsWith("System.Threading.Tasks.Task", StringComparison.Ordinal) && m.Name is "Wait" or "get_Result" or "WaitAll") return "blocking wait";
        return null;
    }

    /// <summary>Methods whose delegates this method hands to Task.Run, StartNew, ContinueWith or the thread pool: they run there, not on the actor.</summary>
    private static IEnumerable<MethodBase> OffThreadTargets(MethodBase m)
    {
        MethodBase? pending = null;
        foreach (var (op, callee) in Instructions(m))
        {
            if (op == OpCodes.Ldftn || op == OpCodes.Ldvirtftn) { pending = callee; continue; }
            if (pending is null || callee is null || op == OpCodes.Newobj) continue;
            var n = callee.DeclaringType?.FullName ?? "";
            if (n.StartsWith("System.Threading.Tasks.Task", StringComparison.Ordinal) && callee.Name is "Run" or "StartNew" or "ContinueWith" || n == "System.Threading.ThreadPool")
                yield return pending;
            pending = null;
        }
    }

    private static IEnumerable<Type> Nested(Type t) => t.GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic).SelectMany(n => new[] { n }.Concat(Nested(n)));

    private const BindingFlags All = BindingFlags.DeclaredOnly | BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic;

    private static IEnumerable<MethodBase> Methods(Type t) => t.GetMethods(All).Cast<MethodBase>().Concat(t.GetConstructors(All));

    private static readonly Dictionary<short, OpCode> Codes = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    /// <summary>Each instruction of the method's IL, with the method its operand names (calls, newobj, ldftn), if any.</summary>
    private static IEnumerable<(OpCode Op, MethodBase? Callee)> Instructions(MethodBase m)
    {
        byte[]? il;
        try { il = m.GetMethodBody()?.GetILAsByteArray(); }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or BadImageFormatException) { il = null; }
        if (il is null) yield break;
        int i = 0;
        while (i < il.Length)
        {
            short v = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            var op = Codes[v];
            int size = op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i),
                _ => 4,
            };
            MethodBase? callee = null;
            if (op.OperandType == OperandType.InlineMethod)
            {
                try
                {
                    callee = m.Module.ResolveMethod(BitConverter.ToInt32(il, i), m.DeclaringType?.IsGenericType == true ? m.DeclaringType.GetGenericArguments() : null,
                        m.IsGenericMethod ? m.GetGenericArguments() : null);
                }
                catch (ArgumentException) { }
            }
            yield return (op, callee);
            i += size;
        }
    }
}
