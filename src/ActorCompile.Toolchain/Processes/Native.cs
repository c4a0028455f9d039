using System.Runtime.InteropServices;

namespace ActorCompile.Toolchain.Processes;

/// <summary>The few libc calls .NET does not expose. Source-generated imports, so they work under Native AOT.</summary>
public static partial class Native
{
    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr realpath(string path, IntPtr resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void free(IntPtr p);

    [LibraryImport("libc", EntryPoint = "isatty")]
    private static partial int isatty(int fd);

    [StructLayout(LayoutKind.Sequential)]
    private struct WinSize
    {
        public ushort Rows, Columns, XPixel, YPixel;
    }

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int ioctl(int fd, nuint request, ref WinSize size);

    [LibraryImport("libc", EntryPoint = "getuid")]
    private static partial uint getuid();

    [LibraryImport("libc", EntryPoint = "chmod", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int chmod(string path, uint mode);

    private const nuint TIOCGWINSZ = 0x5413;

    /// <summary>The canonical absolute path (every symlink resolved), or null when it does not exist.</summary>
    public static string? RealPath(string path)
    {
        var p = realpath(path, IntPtr.Zero);
        if (p == IntPtr.Zero) return null;
        try { return Marshal.PtrToStringUTF8(p); }
        finally { free(p); }
    }

    public static bool IsTerminal(int fd) => isatty(fd) == 1;

    /// <summary>The width of the terminal on <paramref name="fd"/>, or null when it is not a terminal.</summary>
    public static int? TerminalColumns(int fd)
    {
        var size = new WinSize();
        return ioctl(fd, TIOCGWINSZ, ref size) == 0 && size.Columns > 0 ? size.Columns : null;
    }

    public static uint UserId() => getuid();

    /// <summary>chmod(2); returns false (with errno in Marshal.GetLastPInvokeError) on failure.</summary>
    public static bool ChangeMode(string path, uint mode) => chmod(path, mode) == 0;
}
