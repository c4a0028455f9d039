using ActorCompile.Tests;
using ActorCompile.Toolchain.Identity;
using Xunit;

namespace ActorCompile.Toolchain.Tests;

public class ToolchainProbeTests
{
    [Fact]
    public async Task Gcc_is_identified()
    {
        var gcc = await ToolchainProbe.ProbeAsync(ExecutableSearch.Find("gcc", Environment.GetEnvironmentVariable("PATH"))!);
        Assert.Equal("gcc", gcc.Identity.Family);
        Assert.Equal("c", gcc.Identity.DriverLanguage);
        Assert.Equal(Run.Program("gcc", new[] { "-dumpfullversion" }).Stdout.Trim(), gcc.Identity.Version);
        Assert.Equal(Run.Program("gcc", new[] { "-dumpmachine" }).Stdout.Trim(), gcc.Identity.Target);
        Assert.Equal(64, gcc.Identity.Fingerprint.Length);
    }

    [Fact]
    public async Task Names_of_the_same_binary_share_a_fingerprint_and_gcc_is_not_gplusplus()
    {
        var path = Environment.GetEnvironmentVariable("PATH");
        var gcc = await ToolchainProbe.ProbeAsync(ExecutableSearch.Find("gcc", path)!);
        var cc = await ToolchainProbe.ProbeAsync(ExecutableSearch.Find("cc", path)!);
        var gxx = await ToolchainProbe.ProbeAsync(ExecutableSearch.Find("g++", path)!);
        Assert.Equal(gcc.Identity, cc.Identity);
        Assert.NotEqual(gcc.Identity.Fingerprint, gxx.Identity.Fingerprint);
        Assert.Equal("c++", gxx.Identity.DriverLanguage);
    }

    [Fact]
    public async Task A_remembered_hash_follows_the_file_rewritten_in_place_and_a_fresh_file_is_never_remembered()
    {
        using var dir = new TempDirectory("ac-hash-memo");
        var file = dir.Write("cc1", "first content\n");
        static string Sha(string text) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
        // Fresh (within the doubt window): two writes within one clock tick leave one status, so it is read each time.
        Assert.Equal(Sha("first content\n"), await ToolchainProbe.HashFileAsync(file));
        File.WriteAllText(file, "other content\n");
        Assert.Equal(Sha("other content\n"), await ToolchainProbe.HashFileAsync(file));
        // Settled: remembered, and a rewrite in place (same size, same inode) changes its status and is read again.
        long changed = Processes.Native.Status(file)!.Value.ChangedNanoseconds;
        await Eventually.True(() => ActorCompile.Toolchain.Processes.FileTimes.ToNanoseconds(DateTime.UtcNow) - changed > 2_100_000_000L, TimeSpan.FromSeconds(10), "the clock to pass the doubt window");
        Assert.Equal(Sha("other content\n"), await ToolchainProbe.HashFileAsync(file));
        Assert.Equal(Sha("other content\n"), await ToolchainProbe.HashFileAsync(file));
        using (var stream = File.Open(file, FileMode.Open, FileAccess.Write)) stream.Write("OTHER"u8);
        Assert.Equal(Sha("OTHER content\n"), await ToolchainProbe.HashFileAsync(file));
    }

    [Fact]
    public async Task A_program_that_is_not_a_compiler_is_refused()
    {
        await Assert.ThrowsAsync<ToolchainProbeException>(() => ToolchainProbe.ProbeAsync("/bin/true"));
    }

    [Fact]
    public void Cache_keys_change_with_the_binary()
    {
        using var dir = new TempDirectory();
        var file = dir.Write("tool", "a");
        var key = CompilerKey.Of(file);
        File.WriteAllText(file, "ab");
        Assert.NotEqual(key, CompilerKey.Of(file));
        Assert.Null(CompilerKey.Of(dir.Combine("missing")));
    }

    [Fact]
    public async Task Clang_is_identified_and_clangplusplus_is_its_cplusplus_driver()
    {
        var path = Environment.GetEnvironmentVariable("PATH");
        var clang = await ToolchainProbe.ProbeAsync(ExecutableSearch.Find("clang", path)!);
        var clangxx = await ToolchainProbe.ProbeAsync(ExecutableSearch.Find("clang++", path)!);
        Assert.Equal("clang", clang.Identity.Family);
        Assert.Equal("c", clang.Identity.DriverLanguage);
        Assert.Equal("c++", clangxx.Identity.DriverLanguage);
        Assert.Equal(clang.CanonicalPath, clangxx.CanonicalPath); // the same binary ...
        Assert.NotEqual(clang.Identity.Fingerprint, clangxx.Identity.Fingerprint); // ... in two modes
        Assert.Matches(@"^\d+\.\d+\.\d+$", clang.Identity.Version);
    }

    /// <summary>
    /// clang costs 75-100 ms of CPU per start here (libLLVM's relocations; far more on a Raspberry Pi), and a worker
    /// offering clang and clang++ started it eight times: identifying it and finding its files start it once. The
    /// driver is the real clang behind a script that counts its starts.
    /// </summary>
    [Fact]
    public async Task Identifying_clang_and_finding_its_files_start_it_once()
    {
        using var dir = new TempDirectory("ac-clang-runs");
        var runs = dir.Combine("runs");
        var clang = ExecutableSearch.Canonical(ExecutableSearch.Find("clang", Environment.GetEnvironmentVariable("PATH"))!);
        var driver = dir.Write("clang", $"#!/bin/sh\necho \"$*\" >> '{runs}'\nexec '{clang}' \"$@\"\n");
        File.SetUnixFileMode(driver, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var probed = await ToolchainProbe.ProbeAsync(driver);
        var manifest = await ToolchainFiles.FindAsync(probed, hash: false);
        Assert.Equal("clang", probed.Identity.Family);
        Assert.Equal(Run.Program(clang, new[] { "-dumpmachine" }).Stdout.Trim(), probed.Identity.Target);
        Assert.Equal(Run.Program(clang, new[] { "-print-prog-name=as" }).Stdout.Trim(), probed.Assembler);
        Assert.Contains(manifest.Files, f => f.Path == probed.Assembler); // the assembler is among its files all the same
        Assert.Equal(new[] { "-v -print-prog-name=as" }, File.ReadAllLines(runs));
    }

    /// <summary>
    /// A wrapper that hands -v to gcc but answers -print-prog-name=as itself: gcc identifies itself only when asked -v
    /// alone, so the combined run's answer (gcc's own "as") is not the wrapper's, and the wrapper is asked alone.
    /// </summary>
    [Fact]
    public async Task The_assembler_is_taken_only_from_a_run_that_identified_the_driver()
    {
        using var dir = new TempDirectory("ac-as-wrapper");
        var driver = dir.Write("gcc-own-as", "#!/bin/sh\n[ \"$1\" = -print-prog-name=as ] && { echo /usr/bin/x86_64-linux-gnu-as; exit 0; }\nexec gcc \"$@\"\n");
        File.SetUnixFileMode(driver, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var probed = await ToolchainProbe.ProbeAsync(driver);
        Assert.Equal("gcc", probed.Identity.Family);
        Assert.Equal("/usr/bin/x86_64-linux-gnu-as", probed.Assembler);
    }

    /// <summary>
    /// Fakes around the real gcc that lie about one thing each (why fakes: no second gcc is installed
    /// here). None may share a fingerprint with the real gcc or with another.
    /// </summary>
    [Fact]
    public async Task Toolchains_that_report_another_version_configuration_or_target_never_match()
    {
        using var dir = new TempDirectory();
        string Fake(string name, string body)
        {
            var path = dir.Write(name, "#!/bin/sh\n" + body + "\nexec gcc \"$@\"\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            return path;
        }
        var version = Fake("gcc-other-version", "[ \"$1\" = -dumpfullversion ] && { echo 12.9.9; exit 0; }");
        var config = Fake("gcc-other-config", "[ \"$1\" = -v ] && { gcc -v 2>&1 | sed 's/Thread model: posix/Thread model: single/' >&2; exit 0; }");
        // The target as -v's "Target:" line states it (what the probe reads) and as -dumpmachine answers it.
        var target = Fake("gcc-other-target", "[ \"$1\" = -dumpmachine ] && { echo aarch64-linux-gnu; exit 0; }\n"
            + "[ \"$1\" = -v ] && { gcc \"$@\" 2>&1 >/dev/null | sed 's/^Target: .*/Target: aarch64-linux-gnu/' >&2; gcc \"$@\" 2>/dev/null; exit 0; }");
        var same = Fake("gcc-wrapper", "");
        var real = await ToolchainProbe.ProbeAsync(ExecutableSearch.Find("gcc", Environment.GetEnvironmentVariable("PATH"))!);
        var fakes = new List<ToolchainIdentity>();
        foreach (var f in new[] { version, config, target, same }) fakes.Add((await ToolchainProbe.ProbeAsync(f)).Identity);
        Assert.Equal("12.9.9", fakes[0].Version);
        Assert.Equal("aarch64-linux-gnu", fakes[2].Target);
        Assert.All(fakes, f => Assert.NotEqual(real.Identity.Fingerprint, f.Fingerprint));
        Assert.Equal(fakes.Count, fakes.Select(f => f.Fingerprint).Distinct().Count());
    }

    [Fact]
    public async Task Qualified_names_of_the_same_compiler_share_its_fingerprint()
    {
        var path = Environment.GetEnvironmentVariable("PATH");
        var plain = await ToolchainProbe.ProbeAsync(ExecutableSearch.Find("gcc", path)!);
        var machine = Run.Program("gcc", new[] { "-dumpmachine" }).Stdout.Trim();
        var major = Run.Program("gcc", new[] { "-dumpversion" }).Stdout.Trim();
        foreach (var name in new[] { $"{machine}-gcc", $"gcc-{major}", $"{machine}-gcc-{major}" })
        {
            var found = ExecutableSearch.Find(name, path);
            Assert.True(found is not null, $"{name} is not installed");
            Assert.Equal(plain.Identity, (await ToolchainProbe.ProbeAsync(found!)).Identity);
        }
    }
}
