using System.Diagnostics;

namespace ActorCompile.Toolchain.Processes;

/// <summary>What a finished program left behind. <paramref name="OutputExceeded"/>: it printed more than it was allowed and was killed.</summary>
public sealed record ProcessResult(int ExitCode, byte[] Stdout, byte[] Stderr, TimeSpan Elapsed, bool OutputExceeded = false)
{
    public string StdoutText => System.Text.Encoding.UTF8.GetString(Stdout);
    public string StderrText => System.Text.Encoding.UTF8.GetString(Stderr);
}

/// <summary>Thrown when a program cannot be started at all (missing, not executable).</summary>
public sealed class ProcessStartException(string program, Exception inner)
    : Exception($"cannot run {program}: {inner.Message}", inner);

/// <summary>Runs programs: with captured output (compiler probes, jobs) or with the caller's terminal (local compiles).</summary>
public static class ProcessRunner
{
    /// <summary>
    /// Starts the captured programs from one thread that lives as long as this process. The kernel sends a
    /// child its parent-death signal (bwrap --die-with-parent sets PR_SET_PDEATHSIG to SIGKILL) when the
    /// thread that forked it exits, not the process, and the thread pool retires idle threads: a sandboxed
    /// compile started from a pool thread was killed mid-run when that thread retired (seen under load as
    /// "the compiler was killed by signal 9", a failure booked against an honest worker).
    /// </summary>
    private static class Launcher
    {
        private static readonly System.Collections.Concurrent.BlockingCollection<(Process Process, TaskCompletionSource<Exception?> Started)> Queue = new();

        static Launcher() => new Thread(Serve) { IsBackground = true, Name = "process launcher" }.Start();

        /// <summary>Starts the process on the launcher's thread: null once it runs, else why it could not start.</summary>
        public static Task<Exception?> Start(Process process)
        {
            var started = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
            Queue.Add((process, started));
            return started.Task;
        }

        private static void Serve()
        {
            foreach (var (process, started) in Queue.GetConsumingEnumerable())
            {
                try
                {
                    process.Start();
                    started.SetResult(null);
                }
                catch (Exception e)
                {
                    started.SetResult(e);
                }
            }
        }
    }

    /// <summary>
    /// Runs a program and captures its output. On cancellation the whole process tree is killed (gcc's
    /// cc1 and as included) before the cancellation is reported.
    /// </summary>
    /// <param name="environment">When given, the program gets exactly this environment.</param>
    /// <param name="maxOutputBytes">The most a program may print on each of stdout and stderr: past it, reading
    /// stops, the process tree is killed and the result says so. Memory never grows beyond it.</param>
    public static async Task<ProcessResult> RunAsync(
        string program,
        IEnumerable<string> args,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null,
        byte[]? stdin = null,
        int maxOutputBytes = int.MaxValue,
        CancellationToken cancellationToken = default)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (environment is not null)
        {
            psi.Environment.Clear();
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        }
        var started = Stopwatch.StartNew();
        using var process = new Process { StartInfo = psi };
        if (await Launcher.Start(process) is { } failure)
        {
            if (failure is System.ComponentModel.Win32Exception or InvalidOperationException or IOException) throw new ProcessStartException(program, failure);
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
        void Kill()
        {
            // Already gone (InvalidOperationException) or not ours to kill any more: nothing left to stop.
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } catch (System.ComponentModel.Win32Exception) { }
        }
        using var kill = cancellationToken.Register(Kill);
        int exceeded = 0;
        void TooMuch() { Interlocked.Exchange(ref exceeded, 1); Kill(); }
        var stdoutTask = ReadAllAsync(process.StandardOutput.BaseStream, maxOutputBytes, TooMuch);
        var stderrTask = ReadAllAsync(process.StandardError.BaseStream, maxOutputBytes, TooMuch);
        try
        {
            if (stdin is { Length: > 0 }) await process.StandardInput.BaseStream.WriteAsync(stdin, CancellationToken.None);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The program exited without reading its input; its exit code tells the rest.
        }
        await process.WaitForExitAsync(CancellationToken.None);
        var stdout = await stdoutTask;
        var stderr = await stderrTask;
        cancellationToken.ThrowIfCancellationRequested();
        return new ProcessResult(process.ExitCode, stdout, stderr, started.Elapsed, exceeded == 1);
    }

    /// <summary>Starts a process; a program that cannot be started becomes a <see cref="ProcessStartException"/>.</summary>
    private static Process Start(ProcessStartInfo psi)
    {
        try
        {
            return Process.Start(psi) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new ProcessStartException(psi.FileName, e);
        }
    }

    /// <summary>Runs a program on the caller's own terminal (stdin, stdout, stderr inherited) and returns its exit code.</summary>
    public static int RunInheritingTerminal(string program, IEnumerable<string> args, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(program) { UseShellExecute = false, WorkingDirectory = workingDirectory ?? "" };
        foreach (var a in args) psi.ArgumentList.Add(a);
        var process = Start(psi);
        using (process)
        {
            process.WaitForExit();
            return process.ExitCode;
        }
    }

    /// <summary>
    /// Runs a program on the caller's terminal except for stderr, which is copied through as it comes and
    /// also returned (to compare what a local compile printed with what a worker printed).
    /// </summary>
    public static (int ExitCode, byte[] Stderr) RunTeeingStderr(string program, IEnumerable<string> args, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? "" };
        foreach (var a in args) psi.ArgumentList.Add(a);
        var process = Start(psi);
        using (process)
        using (var ours = Console.OpenStandardError())
        {
            var copy = new MemoryStream();
            var buffer = new byte[16384];
            int n;
            var theirs = process.StandardError.BaseStream;
            while ((n = theirs.Read(buffer, 0, buffer.Length)) > 0)
            {
                ours.Write(buffer, 0, n);
                ours.Flush();
                copy.Write(buffer, 0, n);
            }
            process.WaitForExit();
            return (process.ExitCode, copy.ToArray());
        }
    }

    /// <summary>Reads a stream to its end, keeping at most <paramref name="limit"/> bytes; past that it calls <paramref name="exceeded"/> and drains the rest.</summary>
    private static async Task<byte[]> ReadAllAsync(Stream stream, int limit, Action exceeded)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[1 << 16];
        bool over = false;
        int n;
        while ((n = await stream.ReadAsync(chunk)) > 0)
        {
            if (over) continue;
            if (buffer.Length + n > limit)
            {
                over = true;
                exceeded();
                continue;
            }
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }
}
