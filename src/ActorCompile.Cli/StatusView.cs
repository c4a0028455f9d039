using System.Globalization;
using ActorCompile.LocalProtocol;
using ActorCompile.Toolchain.Processes;
using ActorCompile.LocalProtocol.Status;
using ActorCompile.Toolchain.Jobs;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace ActorCompile.Cli;

/// <summary>
/// The cluster as tables: members, workers, coordinators, and every job in flight (and jobs that
/// finished in the last seconds, so that short ones are seen at all).
/// </summary>
public static class StatusView
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static IRenderable Build(ClusterStatus s)
    {
        var parts = new List<IRenderable>
        {
            new Markup(Markup.Escape(string.Create(Inv,
                $"ActorCompile cluster seen from {s.Node}: {s.Members.Count} member(s), {s.Workers.Count(w => w.State == "up")}/{s.Workers.Count} worker(s) up, {s.Workers.Where(w => w.State == "up").Sum(w => w.Slots)} slot(s), {s.Jobs.Count(j => j.Phase != "done")} job(s) in flight"))),
            Members(s),
            Workers(s),
        };
        if (s.Security is { } security)
            parts.Insert(1, new Markup(security.Transport == "mutual-tls"
                ? Markup.Escape($"security: mutual TLS, {security.Detail}")
                : "[red]" + Markup.Escape($"security: INSECURE, {security.Detail}") + "[/]"));
        if (s.Coordinators.Count > 0) parts.Add(Coordinators(s));
        if (s.RefusedMessages is { Count: > 0 } refusedMessages)
            parts.Add(new Markup("[yellow]" + Markup.Escape(string.Create(Inv,
                $"{s.Node} refused messages from other nodes: {string.Join(", ", refusedMessages.Select(r => $"{Printable(r.Message)} x{r.Count}"))} ({RefusalsExplained(refusedMessages)})")) + "[/]"));
        // The cache's table once it has done or kept anything: until then the tables stay as short as they were
        // (--watch draws within the terminal's height).
        if (CacheInUse(s)) parts.Add(Cache(s));
        foreach (var c in s.Coordinators)
            foreach (var u in c.UnservedToolchains)
                parts.Add(new Markup(Markup.Escape(string.Create(Inv,
                    $"No worker offers {u.Name} {u.Version} ({u.Target}, {Short(u.Fingerprint)}): {u.Compiles} compile(s) of {c.Address} ran locally. Install it on a helper, or offer it with --toolchain."))));
        foreach (var w in s.Workers)
        {
            // Only what needs attention: a worker that cannot serve, one that compiles without a sandbox, and why the
            // latest failed job of one that failed any failed (what backs a worker off).
            if (w.Sandbox.StartsWith("unavailable", StringComparison.Ordinal))
                parts.Add(new Markup("[red]" + Markup.Escape($"{w.Address} serves no job: sandbox {w.Sandbox}") + "[/]"));
            else if (w.Sandbox.StartsWith("unsandboxed", StringComparison.Ordinal))
                parts.Add(new Markup("[yellow]" + Markup.Escape($"{w.Address} compiles {w.Sandbox}") + "[/]"));
            if (w.Failed > 0 && w.LastFailure.Length > 0)
                parts.Add(new Markup("[yellow]" + Markup.Escape(string.Create(Inv, $"{w.Address} failed {w.Failed} job(s), the latest: {Printable(w.LastFailure)}")) + "[/]"));
        }
        foreach (var r in s.RefusedConnections ?? Array.Empty<RefusedConnectionStatus>())
            parts.Add(new Markup(Markup.Escape(string.Create(Inv, $"{r.Node} refused {r.Count} connection(s) with {r.Address}: {Printable(r.Reason)}"))));
        parts.Add(Jobs(s));
        return new Rows(parts);
    }

    /// <summary>Text another machine wrote (a worker's failure, a refusal's reason, which may quote paths and remote input)
    /// without the control characters that would drive the terminal.</summary>
    /// <summary>What the kinds of refused messages mean: another release's node, a malformed message, or remote control.</summary>
    private static string RefusalsExplained(IReadOnlyList<RefusedMessageStatus> refused)
    {
        static bool Version(RefusedMessageStatus r) => r.Message.Contains("wire version", StringComparison.Ordinal);
        static bool Unreadable(RefusedMessageStatus r) => r.Message.StartsWith("malformed ", StringComparison.Ordinal) || r.Message == "an unknown kind of message";
        var reasons = new List<string>();
        if (refused.Any(Version))
            reasons.Add("a node of a release with another wire version is a member: it cannot exchange jobs with this one; upgrade every node together");
        if (refused.Any(Unreadable))
            reasons.Add("a member sent messages this release cannot read");
        if (refused.Any(r => !Version(r) && !Unreadable(r)))
            reasons.Add("a peer with the cluster's key tried to stop, restart or remove members");
        return string.Join("; ", reasons);
    }

    private static string Printable(string text) => TerminalText.Printable(text);

    private static string Short(string fingerprint) => fingerprint[..Math.Min(12, fingerprint.Length)];

    private static Table NewTable(string title, params string[] columns)
    {
        var t = new Table().Border(TableBorder.Simple).Title(title);
        foreach (var c in columns) t.AddColumn(new TableColumn(c));
        return t;
    }

    private static string StateMarkup(string state) => state switch
    {
        "up" => "[green]up[/]",
        "unreachable" => "[red]unreachable[/]",
        "backed-off" => "[yellow]backed-off[/]",
        _ => Markup.Escape(state),
    };

    private static Table Members(ClusterStatus s)
    {
        var t = NewTable("Members", "Address", "Roles", "State");
        foreach (var m in s.Members)
            t.AddRow(Markup.Escape(m.Address), Markup.Escape(string.Join(",", m.Roles)), StateMarkup(m.State));
        return t;
    }

    private static Table Workers(ClusterStatus s)
    {
        var t = NewTable("Workers", "Address", "State", "Busy", "Cores", "Load", "Done", "Failed", "Discr.", "Mean", "Toolchains");
        foreach (var c in new[] { 2, 3, 4, 5, 6, 7, 8 }) t.Columns[c].RightAligned();
        foreach (var w in s.Workers)
        {
            // Its own toolchains, then the ones targets shipped to it (held, or on their way).
            var toolchains = string.Join("\n", w.Toolchains.Select(tc => $"{tc.Name} {tc.Version} {Short(tc.Fingerprint)}")
                .Concat((w.ShippedToolchains ?? Array.Empty<ShippedToolchainStatus>()).Select(st => $"shipped {Short(st.Fingerprint)} {Sizes.Format(st.Bytes)} {st.State}")));
            t.AddRow(
                Markup.Escape(w.Address),
                StateMarkup(w.State),
                string.Create(Inv, $"{w.Running}/{w.Slots}"),
                w.Cores.ToString(Inv),
                w.LoadAverage.ToString("0.00", Inv),
                w.Completed.ToString(Inv),
                w.Failed.ToString(Inv),
                w.Discrepancies.ToString(Inv),
                w.MeanCompileSeconds > 0 ? w.MeanCompileSeconds.ToString("0.00", Inv) + " s" : "-",
                Markup.Escape(toolchains));
        }
        return t;
    }

    private static Table Coordinators(ClusterStatus s)
    {
        // The bytes of toolchain shipped only once there are any: the table stays within 80 columns otherwise.
        bool shipped = s.Coordinators.Any(c => c.ToolchainBytesShipped > 0);
        var columns = new[] { "Address", "Queued", "In flight", "Local slots", "Distributed", "Local" };
        var t = NewTable("Coordinators", shipped ? columns.Append("Shipped").ToArray() : columns);
        foreach (var c in Enumerable.Range(1, t.Columns.Count - 1)) t.Columns[c].RightAligned();
        foreach (var c in s.Coordinators)
        {
            var cells = new List<string> { Markup.Escape(c.Address), c.Queued.ToString(Inv), c.InFlight.ToString(Inv),
                string.Create(Inv, $"{c.LocalSlotsBusy}/{c.LocalSlots}"), c.Distributed.ToString(Inv), c.Local.ToString(Inv) };
            if (shipped) cells.Add(Sizes.Format(c.ToolchainBytesShipped));
            t.AddRow(cells.ToArray());
        }
        return t;
    }

    private static bool CacheInUse(ClusterStatus s) =>
        s.Coordinators.Any(c => c.Cache is { } k && k.Hits + k.Misses + k.Verified + k.Discrepancies > 0)
        || (s.Cache?.Stores.Any(st => st.Entries > 0) ?? false);

    /// <summary>The result cache: what it did for each coordinator and for the cluster, and what each node keeps.</summary>
    public static IRenderable Cache(ClusterStatus s)
    {
        var t = NewTable("Result cache", "Coordinator", "Hits", "Direct", "Misses", "Hit rate", "Verified", "Discr.", "Served");
        foreach (var c in Enumerable.Range(1, t.Columns.Count - 1)) t.Columns[c].RightAligned();
        void Row(string name, CacheStatus c) => t.AddRow(Markup.Escape(name), c.Hits.ToString(Inv), c.DirectHits.ToString(Inv), c.Misses.ToString(Inv),
            (c.HitRate * 100).ToString("0.0", Inv) + " %", c.Verified.ToString(Inv),
            c.Discrepancies > 0 ? "[red]" + c.Discrepancies.ToString(Inv) + "[/]" : "0", Sizes.Format(c.BytesServed));
        foreach (var c in s.Coordinators)
            if (c.Cache is { } cache) Row(c.Address, cache);
        if (s.Cache is { } cluster)
        {
            if (s.Coordinators.Count > 1) Row("cluster", cluster.Totals);
            var stores = cluster.Stores.Select(st => string.Create(Inv, $"{st.Node} {st.Entries} result(s), {Sizes.Format(st.Bytes)} of {Sizes.Format(st.LimitBytes)}{(st.Corrupt > 0 ? $", {st.Corrupt} corrupt dropped" : "")}"));
            return new Rows(t, new Markup(Markup.Escape("Kept: " + (cluster.Stores.Count == 0 ? "nothing (the cache is off on every node)" : string.Join("; ", stores)))));
        }
        return t;
    }

    private static Table Jobs(ClusterStatus s)
    {
        var t = NewTable("Jobs", "Source", "Phase", "Worker", "Coordinator", "Elapsed");
        t.Columns[4].RightAligned();
        foreach (var j in s.Jobs.OrderBy(j => j.Phase == "done").ThenByDescending(j => j.ElapsedSeconds))
        {
            var phase = j.Phase switch
            {
                "compiling" => "[green]compiling[/]",
                "done" => "[grey]done[/]",
                "queued" => "[yellow]queued[/]",
                _ => Markup.Escape(j.Phase),
            };
            t.AddRow(Markup.Escape(j.Source), phase, Markup.Escape(j.Worker ?? "-"), Markup.Escape(j.Coordinator), j.ElapsedSeconds.ToString("0.0", Inv) + " s");
        }
        if (s.Jobs.Count == 0) t.AddRow("[grey]none[/]", "", "", "", "");
        return t;
    }
}
