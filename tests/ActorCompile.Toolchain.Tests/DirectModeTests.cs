using System.Text;
using ActorCompile.Tests;
using ActorCompile.Toolchain.Arguments;
using ActorCompile.Toolchain.Dependencies;
using ActorCompile.Toolchain.DirectMode;
using ActorCompile.Toolchain.Jobs;
using ActorCompile.Toolchain.Processes;
using Xunit;

namespace ActorCompile.Toolchain.Tests;

/// <summary>
/// The wrapper's direct-mode records with real files, the real gcc's dependency scan and the real
/// collection of inputs, exactly as the wrapper runs them. Files written by a test are new, and the rule
/// for doubt refuses to record files changed within 2 s; so most tests record as of a moment a minute
/// ahead (the recorder takes the time as a parameter), and wait for the kernel's file clock to tick past
/// the record before they change anything: a change in the same tick would be invisible, which is exactly
/// what the 2 s rule guards against in real use.
/// </summary>
public sealed class DirectModeTests : IDisposable
{
    private const string Gcc = "/usr/bin/gcc";
    private readonly TempDirectory _dir = new("ac-direct");
    private readonly TempDirectory _clock = new("ac-clock");

    public void Dispose()
    {
        _dir.Dispose();
        _clock.Dispose();
    }

    private static DateTime Later => DateTime.UtcNow.AddMinutes(1);

    /// <summary>The scan the wrapper runs (gcc -M, the compiler's own directories, every input hashed), then its record.</summary>
    private RecordResult Record(string cwd, string[] args, DateTime now, string compiler = Gcc)
    {
        var command = CompileCommand.Parse(args);
        Assert.True(command.IsDistributable, command.LocalReason);
        var deps = ProcessRunner.RunAsync(Gcc, CommandRewriter.ForDependencyScan(command), cwd).GetAwaiter().GetResult();
        Assert.True(deps.ExitCode == 0, deps.StderrText);
        var query = ProcessRunner.RunAsync(Gcc, CommandRewriter.ForSystemIncludeQuery(command).Args, cwd).GetAwaiter().GetResult();
        var system = SystemIncludeDirectories.Parse(query.StderrText);
        Assert.NotEmpty(system);
        var dependencies = MakeDependencies.ParsePrerequisites(deps.StdoutText);
        var collected = InputCollector.Collect(command, cwd, dependencies, system);
        Assert.True(collected.Inputs is not null, collected.LocalReason);
        return DirectRecorder.Record("k", command, cwd, dependencies, collected.Inputs!, system, compiler, now);
    }

    private DirectRecord Recorded(string cwd, params string[] args)
    {
        var made = Record(cwd, args, Later);
        Assert.True(made.Record is not null, made.WhyNot);
        Assert.Null(made.Record!.Doubt());
        return made.Record;
    }

    /// <summary>Waits (bounded) until a file written now gets a later ctime than anything the record saw: the change that follows is visible.</summary>
    private void AfterTheRecordTicks(DirectRecord record)
    {
        long newest = record.Files.Max(f => Math.Max(f.Status.ChangedNanoseconds, f.Status.ModifiedNanoseconds));
        foreach (var d in record.Directories)
            if (d.Status is { } s) newest = Math.Max(newest, Math.Max(s.ChangedNanoseconds, s.ModifiedNanoseconds));
        var probe = _clock.Combine("tick");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            File.WriteAllText(probe, "tick");
            if (Native.Status(probe)!.Value.ChangedNanoseconds > newest) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the file clock did not move past the record");
        }
    }

    private string Project()
    {
        _dir.Write("src/main.c", "#include \"local.h\"\n#include <lib.h>\n#include <sys/x.h>\nint main(void) { return LOCAL + LIB + X; }\n");
        _dir.Write("src/local.h", "#define LOCAL 1\n");
        _dir.Write("late/lib.h", "#define LIB 2\n");
        _dir.Write("late/sys/x.h", "#define X 3\n");
        Directory.CreateDirectory(_dir.Combine("early"));
        return _dir.Combine("src");
    }

    private static readonly string[] Args = { "-c", "main.c", "-o", "main.o", "-I../early", "-I../late" };

    [Fact]
    public void A_record_holds_while_nothing_changes_and_lists_what_the_manifest_sent()
    {
        var cwd = Project();
        var record = Recorded(cwd, Args);
        Assert.Contains(record.Entries, e => e.Kind == MirrorEntryKind.File && e.Path == _dir.Combine("late/sys/x.h"));
        Assert.Contains(record.Files, f => f.Path == _dir.Combine("src/local.h") && f.Hash is not null);
        Assert.Contains(record.Files, f => f.Path == Native.RealPath(Gcc) && f.Hash is null);
        Assert.Contains(record.Directories, d => d.Path == _dir.Combine("early") && d.AbsentNames.Contains("lib.h"));
        Assert.Contains(record.Directories, d => d.Path == _dir.Combine("early/sys") && d.Status is null);
        AfterTheRecordTicks(record);
        Assert.Null(record.Doubt());
    }

    [Fact]
    public void Changed_content_of_the_same_size_with_its_mtime_restored_is_caught_by_ctime()
    {
        var cwd = Project();
        var record = Recorded(cwd, Args);
        var header = _dir.Combine("late/lib.h");
        long mtime = Native.Status(header)!.Value.ModifiedNanoseconds;
        AfterTheRecordTicks(record);
        File.WriteAllText(header, "#define LIB 7\n");
        // Restored to the nanosecond (File.SetLastWriteTime keeps only 100 ns): nothing but ctime tells.
        var touch = Run.Program("touch", new[] { "-m", "-d", $"@{mtime / 1_000_000_000}.{mtime % 1_000_000_000:D9}", header });
        Assert.True(touch.ExitCode == 0, touch.Stderr);
        var now = Native.Status(header)!.Value;
        var was = record.Files.Single(f => Paths.MirrorPaths.Normalize(f.Path) == header).Status;
        Assert.Equal((was.Size, was.ModifiedNanoseconds, was.Inode), (now.Size, now.ModifiedNanoseconds, now.Inode));
        Assert.Equal($"{_dir.Combine("src/../late/lib.h")} changed", record.Doubt()); // named as the compiler opened it
    }

    [Fact]
    public void A_compiler_linked_elsewhere_still_holds_but_a_replaced_compiler_is_doubt()
    {
        var cwd = Project();
        var compiler = _dir.Combine("bin/cc");
        Directory.CreateDirectory(_dir.Combine("bin"));
        File.Copy(Gcc, compiler);
        var made = Record(cwd, Args, Later, compiler);
        Assert.True(made.Record is not null, made.WhyNot);
        var record = made.Record!;
        AfterTheRecordTicks(record);
        // A worker on this machine hard-links the compiler into its toolchain store: its ctime moves, it stays the same file.
        Assert.True(Native.HardLink(compiler, _dir.Combine("bin/linked")));
        Assert.NotEqual(record.Files.Single(f => f.ChangeTimeMoves).Status.ChangedNanoseconds, Native.Status(compiler)!.Value.ChangedNanoseconds);
        Assert.Null(record.Doubt());
        // A package upgrade puts a new file in its place.
        File.Copy(Gcc, _dir.Combine("bin/new"));
        File.Move(_dir.Combine("bin/new"), compiler, overwrite: true);
        Assert.Equal($"{compiler} changed", record.Doubt());
    }

    [Fact]
    public void A_removed_input_is_doubt()
    {
        var cwd = Project();
        var record = Recorded(cwd, Args);
        File.Delete(_dir.Combine("src/local.h"));
        Assert.Equal($"{_dir.Combine("src/local.h")} is gone", record.Doubt());
    }

    [Fact]
    public void A_new_header_in_an_earlier_include_directory_is_doubt()
    {
        var cwd = Project();
        var record = Recorded(cwd, Args);
        AfterTheRecordTicks(record);
        _dir.Write("early/lib.h", "#define LIB 20\n");
        Assert.Contains("early/lib.h appeared", record.Doubt());
    }

    [Fact]
    public void A_new_subdirectory_that_shadows_a_nested_include_is_doubt()
    {
        var cwd = Project();
        var record = Recorded(cwd, Args);
        AfterTheRecordTicks(record);
        _dir.Write("early/sys/x.h", "#define X 30\n");
        Assert.Contains("early/sys appeared", record.Doubt());
    }

    [Fact]
    public void A_header_appearing_in_an_existing_subdirectory_of_an_earlier_include_directory_is_doubt()
    {
        var cwd = Project();
        Directory.CreateDirectory(_dir.Combine("early/sys"));
        var record = Recorded(cwd, Args);
        AfterTheRecordTicks(record);
        _dir.Write("early/sys/x.h", "#define X 30\n");
        Assert.Contains("early/sys/x.h appeared", record.Doubt());
    }

    [Fact]
    public void A_header_appearing_next_to_the_source_shadows_a_quoted_include_found_on_the_path()
    {
        _dir.Write("src/main.c", "#include \"lib.h\"\nint main(void) { return LIB; }\n");
        _dir.Write("late/lib.h", "#define LIB 2\n");
        // Compiled from the directory above: the source's own directory is searched first for "lib.h", though it is no -I.
        var record = Recorded(_dir.Path, "-c", "src/main.c", "-o", "main.o", "-Ilate");
        AfterTheRecordTicks(record);
        _dir.Write("src/lib.h", "#define LIB 5\n");
        Assert.Contains("src/lib.h appeared", record.Doubt());
    }

    [Fact]
    public void An_object_written_next_to_the_sources_is_no_doubt()
    {
        var cwd = Project();
        var record = Recorded(cwd, Args);
        AfterTheRecordTicks(record);
        File.WriteAllText(Path.Combine(cwd, "main.o"), "object");
        File.WriteAllText(Path.Combine(cwd, "main.d"), "main.o: main.c");
        Assert.NotEqual(record.Directories.Single(d => d.Path == cwd).Status, Native.Status(cwd));
        Assert.Null(record.Doubt());
    }

    [Fact]
    public void An_include_directory_that_appears_is_doubt()
    {
        var cwd = Project();
        var record = Recorded(cwd, Args.Append("-I../missing").ToArray());
        Directory.CreateDirectory(_dir.Combine("missing"));
        Assert.Equal($"{_dir.Combine("missing")} appeared", record.Doubt());
    }

    [Fact]
    public void A_header_that_has_include_would_now_find_is_doubt()
    {
        _dir.Write("src/main.c", "#if __has_include(<opt/extra.h>)\n#define EXTRA 1\n#else\n#define EXTRA 0\n#endif\nint main(void) { return EXTRA; }\n");
        Directory.CreateDirectory(_dir.Combine("late/opt"));
        var cwd = _dir.Combine("src");
        var record = Recorded(cwd, "-c", "main.c", "-I../late");
        AfterTheRecordTicks(record);
        _dir.Write("late/opt/extra.h", "\n");
        Assert.Contains("late/opt/extra.h appeared", record.Doubt());
    }

    [Fact]
    public void Files_modified_within_the_doubt_window_are_not_recorded()
    {
        var cwd = Project();
        var made = Record(cwd, Args, DateTime.UtcNow);
        Assert.Null(made.Record);
        Assert.Contains("was modified within 2 s", made.WhyNot);
        Assert.True(made.TooNew);
    }

    [Fact]
    public async Task A_directory_changed_within_the_doubt_window_has_its_names_looked_at_even_when_its_status_is_the_same()
    {
        var cwd = Project();
        long created = Native.Status(_dir.Combine("late/sys/x.h"))!.Value.ChangedNanoseconds;
        // The files must be older than the window while the early directory is not: the clock has to move 2 s.
        await Eventually.True(() => DirectRecorder.ToNanoseconds(DateTime.UtcNow) - created > 2_100_000_000L, TimeSpan.FromSeconds(10), "the clock to pass the doubt window");
        File.WriteAllText(_dir.Combine("early/unrelated.txt"), "");
        var made = Record(cwd, Args, DateTime.UtcNow);
        Assert.True(made.Record is not null, made.WhyNot);
        var early = made.Record!.Directories.Single(d => d.Path == _dir.Combine("early"));
        Assert.False(early.Settled);
        _dir.Write("early/lib.h", "#define LIB 20\n");
        // As if the new header had come within the same timestamp tick as the record: the directory's status is as recorded.
        var stale = made.Record with { Directories = made.Record.Directories.Select(d => d == early ? d with { Status = Native.Status(d.Path) } : d).ToList() };
        Assert.Contains("early/lib.h appeared", stale.Doubt());
    }

    [Theory]
    [InlineData("const char *d = __DATE__;", true)]
    [InlineData("const char *t = __TIME__;", true)]
    [InlineData("#define STAMP __TIMESTAMP__\n", true)]
    [InlineData("/* __TIME__ */", true)]
    [InlineData("int my__TIME__;", false)]
    [InlineData("int __TIME__x;", false)]
    [InlineData("int __TIMEZONE__;", false)]
    [InlineData("__DATE", false)]
    public void Time_macros_are_found_as_whole_names(string text, bool mentioned) =>
        Assert.Equal(mentioned, TimeMacros.Mentioned(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void A_header_mentioning_TIME_keeps_the_compile_from_being_recorded()
    {
        var cwd = Project();
        File.WriteAllText(_dir.Combine("late/lib.h"), "#define LIB 2\nstatic const char built[] = __TIME__;\n");
        var made = Record(cwd, Args, Later);
        Assert.Null(made.Record);
        Assert.Equal($"{_dir.Combine("late/lib.h")} mentions __DATE__, __TIME__ or __TIMESTAMP__", made.WhyNot);
    }

    private DirectStore Store(string name = "store")
    {
        var store = DirectStore.Open(_dir.Combine(name), out var problem);
        Assert.True(store is not null, problem);
        return store!;
    }

    private static string KeyOf(int i) => DirectStore.Key("gcc", new[] { "-c", $"{i}.c" }, "/w", Array.Empty<KeyValuePair<string, string>>());

    [Fact]
    public void A_saved_record_loads_as_it_was_and_is_private_to_its_user()
    {
        var cwd = Project();
        var key = KeyOf(1);
        var record = Recorded(cwd, Args) with { Key = key };
        var store = Store();
        Assert.True(store.Save(record, out var problem), problem);
        var loaded = store.Load(key, out problem);
        Assert.Null(problem);
        Assert.NotNull(loaded);
        Assert.Equal(record.Entries, loaded!.Entries);
        Assert.Equal(record.Files, loaded.Files);
        Assert.Equal(record.SystemIncludeDirectories, loaded.SystemIncludeDirectories);
        Assert.Equal(record.PreincludeStdcPredef, loaded.PreincludeStdcPredef);
        Assert.Equal(record.Directories.Select(d => (d.Path, d.Status, d.Settled, string.Join('/', d.AbsentNames))),
            loaded.Directories.Select(d => (d.Path, d.Status, d.Settled, string.Join('/', d.AbsentNames))));
        var file = store.PathOf(key);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(store.Directory));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(file)!));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(file)!)); // no temporary file left
    }

    [Theory]
    [InlineData("flip")]
    [InlineData("truncate")]
    [InlineData("version")]
    [InlineData("empty")]
    [InlineData("key")]
    public void A_corrupt_truncated_or_foreign_record_is_ignored_and_deleted(string damage)
    {
        var cwd = Project();
        var key = KeyOf(2);
        var store = Store();
        Assert.True(store.Save(Recorded(cwd, Args) with { Key = key }, out _));
        var file = store.PathOf(key);
        var bytes = File.ReadAllBytes(file);
        switch (damage)
        {
            case "flip": bytes[bytes.Length / 2] ^= 0x20; break;
            case "truncate": bytes = bytes[..(bytes.Length - 40)]; break;
            case "version": bytes = Reversioned(bytes); break;
            case "empty": bytes = Array.Empty<byte>(); break;
            case "key":
                key = KeyOf(3);
                Directory.CreateDirectory(Path.GetDirectoryName(store.PathOf(key))!);
                File.Copy(file, file = store.PathOf(key));
                break;
        }
        if (damage != "key") File.WriteAllBytes(file, bytes);
        Assert.Null(store.Load(key, out var problem));
        Assert.Equal("the record is corrupt or of another version", problem);
        Assert.False(File.Exists(file));
    }

    /// <summary>The record with another format version and a valid checksum: only the version is wrong.</summary>
    private static byte[] Reversioned(byte[] bytes)
    {
        var body = bytes[..^16];
        BitConverter.GetBytes(DirectRecordFormat.Version + 1).CopyTo(body, 4);
        return body.Concat(System.IO.Hashing.XxHash128.Hash(body)).ToArray();
    }

    [Fact]
    public void A_store_that_others_may_write_or_that_is_a_symlink_is_refused()
    {
        var open = _dir.Combine("open");
        Directory.CreateDirectory(open);
        File.SetUnixFileMode(open, (UnixFileMode)0x1ff);
        Assert.Null(DirectStore.Open(open, out var problem));
        Assert.Contains("open to other users", problem);

        var store = Store("real");
        File.CreateSymbolicLink(_dir.Combine("link"), store.Directory);
        Assert.Null(DirectStore.Open(_dir.Combine("link"), out problem));
        Assert.Contains("is not a directory", problem);
    }

    [Fact]
    public void A_shard_keeps_at_most_its_bound_of_records_and_the_oldest_go_first()
    {
        var cwd = Project();
        var record = Recorded(cwd, Args);
        var store = Store();
        var keys = Enumerable.Range(0, 100_000).Select(KeyOf).Where(k => DirectStore.FileName(k).StartsWith("ab", StringComparison.Ordinal)).Take(DirectStore.MaxShardRecords + 6).ToList();
        Assert.Equal(DirectStore.MaxShardRecords + 6, keys.Count);
        var shard = Path.Combine(store.Directory, "ab");
        for (int i = 0; i < keys.Count; i++)
        {
            Assert.True(store.Save(record with { Key = keys[i] }, out var problem), problem);
            // Ordered by modification time: set it apart explicitly, since records written in one tick share it.
            File.SetLastWriteTimeUtc(store.PathOf(keys[i]), new DateTime(2020, 1, 1).AddMinutes(i));
        }
        Assert.Equal(DirectStore.MaxShardRecords, Directory.GetFiles(shard).Length);
        Assert.Null(store.Load(keys[0], out _));
        Assert.Null(store.Load(keys[5], out _));
        Assert.NotNull(store.Load(keys[6], out _));
        Assert.NotNull(store.Load(keys[^1], out _));
    }

    [Fact]
    public void The_key_changes_with_the_compiler_arguments_directory_and_environment()
    {
        var env = new List<KeyValuePair<string, string>> { new("LANG", "C") };
        var key = DirectStore.Key("gcc", new[] { "-c", "a.c" }, "/w", env);
        Assert.Equal(key, DirectStore.Key("gcc", new[] { "-c", "a.c" }, "/w", env));
        Assert.NotEqual(key, DirectStore.Key("gcc2", new[] { "-c", "a.c" }, "/w", env));
        Assert.NotEqual(key, DirectStore.Key("gcc", new[] { "-c", "a.c", "-O2" }, "/w", env));
        Assert.NotEqual(key, DirectStore.Key("gcc", new[] { "-c a.c" }, "/w", env));
        Assert.NotEqual(key, DirectStore.Key("gcc", new[] { "-c", "a.c" }, "/v", env));
        Assert.NotEqual(key, DirectStore.Key("gcc", new[] { "-c", "a.c" }, "/w", new List<KeyValuePair<string, string>> { new("LANG", "de_DE") }));
        Assert.Matches("^[0-9a-f]{32}$", DirectStore.FileName(key));
    }

    [Fact]
    public void The_default_directory_follows_XDG_then_HOME_and_the_override_wins()
    {
        var env = new Dictionary<string, string> { ["HOME"] = "/home/u" };
        Assert.Equal("/home/u/.cache/actorcompile/direct", DirectStore.DefaultDirectory(n => env.GetValueOrDefault(n)));
        env["XDG_CACHE_HOME"] = "/x";
        Assert.Equal("/x/actorcompile/direct", DirectStore.DefaultDirectory(n => env.GetValueOrDefault(n)));
        env[DirectStore.DirectoryVariable] = "/t/d";
        Assert.Equal("/t/d", DirectStore.DefaultDirectory(n => env.GetValueOrDefault(n)));
        Assert.Null(DirectStore.DefaultDirectory(_ => null));
    }

    [Fact]
    public void Status_reports_what_stat_reports()
    {
        var file = _dir.Write("f.txt", "twelve bytes");
        var stat = Run.Program("stat", new[] { "-c", "%s %i %Z %Y %Hd %Ld %f", file }).Stdout.Trim().Split(' ');
        var status = Native.Status(file)!.Value;
        Assert.Equal(long.Parse(stat[0]), status.Size);
        Assert.Equal(ulong.Parse(stat[1]), status.Inode);
        Assert.Equal(long.Parse(stat[2]), status.ChangedNanoseconds / 1_000_000_000);
        Assert.Equal(long.Parse(stat[3]), status.ModifiedNanoseconds / 1_000_000_000);
        Assert.Equal((uint.Parse(stat[4]), uint.Parse(stat[5])), (status.DeviceMajor, status.DeviceMinor));
        Assert.Equal(Convert.ToUInt32(stat[6], 16), status.Mode);
        Assert.True(status.IsRegularFile);
        Assert.True(Native.Status(_dir.Path)!.Value.IsDirectory);
        Assert.Null(Native.Status(_dir.Combine("absent")));
        Assert.Null(Native.Status(_dir.Combine("f.txt/below")));
    }
}
