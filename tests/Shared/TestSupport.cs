using System.Diagnostics;
using System.Text;

namespace ActorCompile.Tests;

/// <summary>A directory under /tmp for one test, removed at the end.</summary>
public sealed class TempDirectory : IDisposable
{
    public string Path { get; }

    public TempDirectory(string prefix = "ac-test")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)]);
        Directory.CreateDirectory(Path);
    }

    public string Combine(params string[] parts) => System.IO.Path.Combine(new[] { Path }.Concat(parts).ToArray());

    /// <summary>Writes a file (creating its directory) and returns its full path.</summary>
    public string Write(string relative, string content)
    {
        var full = Combine(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return full;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>Runs real programs (gcc, make) synchronously for tests.</summary>
public static class Run
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Program(string program, IEnumerable<string> args, string? cwd = null, IDictionary<string, string>? env = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = cwd ?? "",
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs a shell command line in a directory.</summary>
    public static Result Shell(string commandLine, string? cwd = null, IDictionary<string, string>? env = null, TimeSpan? timeout = null) =>
        Program("/bin/sh", new[] { "-c", commandLine }, cwd, env, timeout);

    public static Result Gcc(string cwd, params string[] args) => Program("gcc", args, cwd);
}

/// <summary>Waits for a condition with a bound, instead of sleeping for a fixed time.</summary>
public static class Eventually
{
    public static async Task<T> Get<T>(Func<Task<T?>> probe, TimeSpan within, string what) where T : class
    {
        var deadline = DateTime.UtcNow + within;
        Exception? last = null;
        // The first look comes soon, later ones less often (up to 4 a second): many probes start a process
        // (the CLI's status, which the node answers), and at 20 a second the waiting tests of a suite on two
        // shared cores spent a good part of a core on looking.
        var pause = TimeSpan.FromMilliseconds(25);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var value = await probe();
                if (value is not null) return value;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                last = e;
            }
            await Task.Delay(pause);
            pause = TimeSpan.FromMilliseconds(Math.Min(250, pause.TotalMilliseconds * 1.5));
        }
        throw new TimeoutException($"timed out after {within.TotalSeconds:0.#} s waiting for {what}" + (last is null ? "" : $" (last error: {last.Message})"));
    }

    public static async Task True(Func<bool> condition, TimeSpan within, string what)
    {
        await Get<object>(() => Task.FromResult<object?>(condition() ? new object() : null), within, what);
    }
}

public static class Text
{
    public static string Of(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
