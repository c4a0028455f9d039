using ActorCompile.Toolchain.Arguments;
using ActorCompile.Toolchain.Jobs;
using Xunit;

namespace ActorCompile.Toolchain.Tests;

/// <summary>The one rule for what a job may say, applied by the target before a job leaves and by the worker again.</summary>
public sealed class JobContentTests
{
    private static readonly string Hash = new('a', 64);
    private static readonly MirrorEntry[] Mirror =
    {
        new(MirrorEntryKind.Directory, "/src/p", null, 0, 1_700_000_000_000),
        new(MirrorEntryKind.File, "/src/p/a.c", Hash, 10, 1_700_000_000_000),
    };

    private static string? Problem(string[] args, MirrorEntry[]? mirror = null, string cwd = "/src/p", string[]? systemDirectories = null,
        Dictionary<string, string>? environment = null) =>
        JobContent.Problem(CompileCommand.Parse(args), cwd, systemDirectories ?? new[] { "/usr/include" },
            environment ?? new Dictionary<string, string>(), mirror ?? Mirror);

    [Fact]
    public void A_plain_compile_passes() => Assert.Null(Problem(new[] { "-O2", "-Iinclude", "-c", "a.c", "-o", "a.o" }, environment: new() { ["LANG"] = "C" }));

    [Theory]
    [InlineData("-I../../../usr/include", "the path ../../../usr/include leaves the job's directory")]
    [InlineData("-include../../../../etc/passwd", "the path ../../../../etc/passwd leaves the job's directory")]
    [InlineData("-Wp,-MD,../../../../x.d", "the path ../../../../x.d leaves the job's directory")]
    public void A_path_that_climbs_above_the_root_is_refused(string option, string expected) =>
        Assert.Equal(expected, Problem(new[] { option, "-c", "a.c", "-o", "a.o" }));

    [Fact]
    public void A_time_no_file_can_have_is_refused()
    {
        var mirror = new[] { Mirror[0], Mirror[1] with { ModifiedUnixMilliseconds = 9_000_000_000_000_000 } };
        Assert.Equal("/src/p/a.c has a modification time no file can have (9000000000000000 ms)", Problem(new[] { "-c", "a.c" }, mirror));
        Assert.Null(Problem(new[] { "-c", "a.c" }, new[] { Mirror[0], Mirror[1] with { ModifiedUnixMilliseconds = -1 } }));
    }

    [Fact]
    public void Mirror_entries_need_safe_paths_known_kinds_and_hashes()
    {
        Assert.Equal("unsafe path in the job: /src/../etc", Problem(new[] { "-c", "a.c" }, new[] { Mirror[1] with { Path = "/src/../etc" } }));
        Assert.Equal("unknown mirror entry kind 9 for /src/p/a.c", Problem(new[] { "-c", "a.c" }, new[] { Mirror[1] with { Kind = (MirrorEntryKind)9 } }));
        Assert.Equal("file /src/p/a.c has no valid hash", Problem(new[] { "-c", "a.c" }, new[] { Mirror[1] with { Hash = "ABC" } }));
        Assert.Equal("the root cannot be a file", Problem(new[] { "-c", "a.c" }, new[] { Mirror[1] with { Path = "/" } }));
    }

    [Fact]
    public void The_environment_and_directories_are_bounded_too()
    {
        Assert.Equal("environment variable LD_PRELOAD is not one a job may set", Problem(new[] { "-c", "a.c" }, environment: new() { ["LD_PRELOAD"] = "/x.so" }));
        Assert.Equal("system include directory 'usr/include' is not an absolute path", Problem(new[] { "-c", "a.c" }, systemDirectories: new[] { "usr/include" }));
        Assert.Equal("working directory 'src' is not a safe absolute path", Problem(new[] { "-c", "a.c" }, cwd: "src"));
    }

    [Fact]
    public void A_command_that_must_stay_local_says_why() =>
        Assert.NotNull(Problem(new[] { "-fplugin=x.so", "-c", "a.c" }));
}
