using ActorCompile.Toolchain.Arguments;
using ActorCompile.Toolchain.Processes;

namespace ActorCompile.Toolchain.Scanning;

/// <summary>
/// gcc's header search list for one command, as libcpp builds it (gcc/incpath.c): the quote chain
/// (-iquote), the bracket chain (-I), the system chain (-isystem, then the compiler's own directories,
/// then -idirafter), each directory that does not exist (or is no directory) dropped, a directory that
/// is the same (device and inode) as one earlier in its chain dropped, a quote or bracket directory that is
/// also a system directory dropped (it stays where the system chain has it), and a chain's last directory
/// dropped when it is the first of the chain joined after it. Checked at the moment of the compile, as
/// gcc does: a directory created between two compiles is searched by the second.
/// </summary>
public sealed class IncludeChain
{
    private IncludeChain(IReadOnlyList<string> directories, int bracketStart)
    {
        Directories = directories;
        BracketStart = bracketStart;
    }

    /// <summary>The directories searched, as spelled on the command line (a relative one is relative to the working directory).</summary>
    public IReadOnlyList<string> Directories { get; }

    /// <summary>Where &lt;...&gt; includes start searching: the quote chain is everything before it.</summary>
    public int BracketStart { get; }

    /// <summary>The chain, or null with <paramref name="problem"/> when a directory cannot be looked at (gcc then fails the compile).</summary>
    public static IncludeChain? Build(CompileCommand command, IReadOnlyList<string> systemDirectories, Func<string, FileStatus?> status, out string? problem)
    {
        var quote = new List<string>();
        var bracket = new List<string>();
        var system = new List<string>();
        var after = new List<string>();
        foreach (var p in command.Parsed)
        {
            if (p.Role != OptionRole.IncludeDirectory || p.Value is not { Length: > 0 } dir) continue;
            switch (p.Rule!.Spelling)
            {
                case "-iquote": quote.Add(dir); break;
                case "-isystem": system.Add(dir); break;
                case "-idirafter": after.Add(dir); break;
                default: bracket.Add(dir); break;
            }
        }
        system.AddRange(systemDirectories);
        system.AddRange(after);
        problem = null;
        try
        {
            var sys = RemoveDuplicates(system, status, null, null);
            var br = RemoveDuplicates(bracket, status, sys, sys.Count > 0 ? sys[0] : (Dir?)null);
            Dir? joinForQuote = br.Count > 0 ? br[0] : sys.Count > 0 ? sys[0] : null;
            var qu = RemoveDuplicates(quote, status, sys, joinForQuote);
            var directories = new List<string>(qu.Count + br.Count + sys.Count);
            directories.AddRange(qu.Select(d => d.Path));
            directories.AddRange(br.Select(d => d.Path));
            directories.AddRange(sys.Select(d => d.Path));
            return new IncludeChain(directories, qu.Count);
        }
        catch (IOException e)
        {
            problem = e.Message;
            return null;
        }
    }

    private readonly record struct Dir(string Path, ulong Inode, uint Major, uint Minor)
    {
        public bool Same(Dir other) => Inode == other.Inode && Major == other.Major && Minor == other.Minor;
    }

    private const uint DirectoryType = 0x4000;

    /// <summary>
    /// incpath.c's remove_duplicates: a directory that is absent or no directory is dropped ("ignoring
    /// nonexistent directory", "not a directory"); so is one in <paramref name="system"/>, one the same as
    /// an earlier one kept, and the list's last when it is <paramref name="join"/>, the head of the chain
    /// that follows.
    /// </summary>
    private static List<Dir> RemoveDuplicates(List<string> head, Func<string, FileStatus?> status, List<Dir>? system, Dir? join)
    {
        var kept = new List<Dir>(head.Count);
        for (int i = 0; i < head.Count; i++)
        {
            if (status(head[i]) is not { } st || (st.Mode & Native.FileTypeMask) != DirectoryType) continue;
            var cur = new Dir(head[i], st.Inode, st.DeviceMajor, st.DeviceMinor);
            if (system is not null && system.Any(s => s.Same(cur))) continue;
            if (kept.Any(k => k.Same(cur))) continue;
            if (i == head.Count - 1 && join is { } j && j.Same(cur)) continue;
            kept.Add(cur);
        }
        return kept;
    }
}
