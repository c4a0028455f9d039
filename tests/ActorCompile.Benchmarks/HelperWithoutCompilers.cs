namespace ActorCompile.Benchmarks;

/// <summary>
/// Helpers with no compiler at all, on this one machine: a launcher that runs a worker node in a mount
/// namespace of its own where every gcc, g++, cc, c++, cpp and clang is gone (their binaries are bound
/// over with /dev/null, gcc's and clang's directories are empty tmpfs), then executes the node in the same
/// process. Such a worker can only run the toolchain its target ships.
///
/// It needs root (unshare -m and mount need CAP_SYS_ADMIN), or, for a normal user, user namespaces
/// (unshare -r maps the user to root inside one, which is enough to mount there). When neither works,
/// <see cref="Prepare"/> says why and the shipped-toolchain section is skipped.
/// </summary>
public static class HelperWithoutCompilers
{
    /// <summary>The same world as the integration tests' (ShippedToolchainTests), written here so the bench stands alone.</summary>
    private const string HidingScript = """
        #!/bin/sh
        set -e
        for f in /usr/bin/*; do
          case "${f##*/}" in
            *gcc*|*g++*|*clang*|cc|c++|cpp|cpp-*|*-cpp-*)
              r=$(readlink -f "$f"); if [ -f "$r" ]; then mount --bind /dev/null "$r"; fi ;;
          esac
        done
        mount -t tmpfs -o mode=0755 empty /usr/lib/gcc
        for d in /usr/lib/llvm-*; do [ -d "$d" ] && mount -t tmpfs -o mode=0755 empty "$d"; done
        exec "$@"

        """;

    /// <summary>The launcher (unshare, its options, the hiding script), or null and why it cannot work here.</summary>
    public static (string[]? Launcher, string? WhyNot) Prepare(string directory)
    {
        Directory.CreateDirectory(directory);
        var script = Path.Combine(directory, "hide-compilers.sh");
        File.WriteAllText(script, HidingScript);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // Private propagation: the mounts stay in the worker's namespace and never reach this machine's.
        var unshare = Environment.UserName == "root"
            ? new[] { "unshare", "-m", "--propagation", "private" }
            : new[] { "unshare", "-r", "-m", "--propagation", "private" };
        var launcher = unshare.Append(script).ToArray();

        var works = InWorld(launcher, "true");
        if (works.ExitCode != 0)
            return (null, $"`{string.Join(' ', unshare)}` does not work here (it needs root or user namespaces): {works.Stderr.Trim()}");
        // The premise of every figure of the section: in that world no compiler runs.
        var compiler = InWorld(launcher, "sh", "-c", "gcc --version || g++ --version || cc --version || clang --version");
        if (compiler.ExitCode == 0)
            throw new InvalidOperationException($"a compiler still runs where {script} should have hidden them all:\n{compiler.Stdout}");
        return (launcher, null);
    }

    private static Outcome InWorld(string[] launcher, params string[] command) =>
        Shell.Run(launcher[0], launcher.Skip(1).Concat(command), "/");
}
