using ActorCompile.Toolchain.Arguments;
using ActorCompile.Toolchain.Cache;
using ActorCompile.Toolchain.Jobs;
using Xunit;

namespace ActorCompile.Toolchain.Tests;

public sealed class ResultKeyTests
{
    private static readonly MirrorEntry Source = new(MirrorEntryKind.File, "/p/a.c", new string('a', 64), 10, 1000);
    private static readonly MirrorEntry Header = new(MirrorEntryKind.File, "/p/a.h", new string('b', 64), 10, 1000);
    private static readonly MirrorEntry Dir = new(MirrorEntryKind.Directory, "/p", null, 0, 0);

    private sealed record Job(
        string Fingerprint = "f",
        string[]? Args = null,
        string Cwd = "/p",
        KeyValuePair<string, string>[]? Env = null,
        bool Color = false,
        string[]? System = null,
        bool Predef = true,
        MirrorEntry[]? Entries = null)
    {
        public string Key => ResultKey.Compute(Fingerprint, CompileCommand.Parse(Args ?? new[] { "-O2", "-c", "a.c" }), Cwd, Env ?? Array.Empty<KeyValuePair<string, string>>(), Color,
            System ?? new[] { "/usr/include" }, Predef, Entries ?? new[] { Dir, Source, Header });
    }

    [Fact]
    public void The_same_job_has_the_same_key_whatever_the_order_of_its_entries_and_environment()
    {
        var env = new[] { new KeyValuePair<string, string>("LANG", "C"), new KeyValuePair<string, string>("LC_ALL", "C") };
        Assert.Equal(new Job(Env: env).Key, new Job(Env: env.Reverse().ToArray()).Key);
        Assert.Equal(new Job().Key, new Job(Entries: new[] { Header, Source, Dir }).Key);
        Assert.Matches("^[0-9a-f]{64}$", new Job().Key);
        // The times of the entries decide nothing (only #pragma once reads them, over files named by content).
        Assert.Equal(new Job().Key, new Job(Entries: new[] { Dir, Source with { ModifiedUnixMilliseconds = 5 }, Header }).Key);
    }


    public static TheoryData<string, object> Changes => new()
    {
        { "toolchain", new Job(Fingerprint: "g") },
        { "argument", new Job(Args: new[] { "-O2", "-DX", "-c", "a.c" }) },
        { "order of arguments", new Job(Args: new[] { "-c", "-O2", "a.c" }) },
        { "working directory", new Job(Cwd: "/q") },
        { "environment", new Job(Env: new[] { new KeyValuePair<string, string>("SOURCE_DATE_EPOCH", "1") }) },
        { "colours", new Job(Color: true) },
        { "system include directories", new Job(System: new[] { "/usr/local/include", "/usr/include" }) },
        { "stdc-predef", new Job(Predef: false) },
        { "content of a header", new Job(Entries: new[] { Dir, Source, Header with { Hash = new string('c', 64) } }) },
        { "path of a header", new Job(Entries: new[] { Dir, Source, Header with { Path = "/p/b.h" } }) },
        { "a header more", new Job(Entries: new[] { Dir, Source, Header, Header with { Path = "/p/sub/a.h" } }) },
        { "kind of an entry", new Job(Entries: new[] { Dir, Source, Header with { Kind = MirrorEntryKind.Placeholder, Hash = null } }) },
        // What the dependency file's rule names is its content.
        { "-MT", new Job(Args: new[] { "-O2", "-c", "a.c", "-MD", "-MT", "x" }) },
        { "-MD", new Job(Args: new[] { "-O2", "-c", "a.c", "-MD" }) },
        // Length-prefixed fields: moving a boundary between two arguments is another job.
        { "argument boundaries", new Job(Args: new[] { "-O2-c", "", "a.c" }) },
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public void Anything_that_decides_the_output_changes_the_key(string what, object changed) =>
        Assert.True(new Job().Key != ((Job)changed).Key, what);

    /// <summary>ccache's rule: where the outputs go is not part of the key (the result's files are renamed when used).</summary>
    [Fact]
    public void Where_the_outputs_go_is_not_part_of_the_key()
    {
        var plain = new Job(Args: new[] { "-O2", "-c", "a.c", "-o", "a.o", "-MD", "-MF", "a.d" }).Key;
        var outDir = Dir with { Path = "/p/out" };
        Assert.Equal(plain, new Job(Args: new[] { "-O2", "-c", "a.c", "-o", "out/b.o", "-MD", "-MF", "out/b.d" }, Entries: new[] { Dir, Source, Header, outDir }).Key);
        Assert.Equal(plain, new Job(Args: new[] { "-O2", "-c", "a.c", "-o/elsewhere/c.o", "-MD", "-MFc.d" }, Entries: new[] { Dir, Source, Header, Dir with { Path = "/elsewhere" } }).Key);
        // The placeholder stands for a path, not for a missing argument or a directory that is read.
        Assert.NotEqual(plain, new Job(Args: new[] { "-O2", "-c", "a.c", "-MD", "-MF", "a.d" }).Key);
        Assert.NotEqual(plain, new Job(Args: new[] { "-O2", "-c", "a.c", "-o", "a.o", "-MD", "-MF", "a.d" }, Entries: new[] { Dir, Source, Header, outDir }).Key);
        Assert.Equal(new[] { "-O2", "-c", "a.c", "-o", "\0output", "-MF", "\0output" }, ResultKey.Arguments(CompileCommand.Parse(new[] { "-O2", "-c", "a.c", "-o", "x.o", "-MFx.d" })));
    }
}
