using System.Runtime.InteropServices;

namespace ActorCompile.Toolchain.Processes;

/// <summary>
/// The few libc calls .NET does not expose, for every program of ActorCompile (the wrapper, the node, setup):
/// the one place for them. Source-generated imports, so they work under Native AOT.
/// </summary>
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

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint geteuid();

    [LibraryImport("libc", EntryPoint = "getpwnam", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr getpwnam(string name);

    [LibraryImport("libc", EntryPoint = "chmod", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int chmod(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int link(string existing, string created);

    private const nuint TIOCGWINSZ = 0x5413;

    /// <summary>
    /// struct statx: a layout that is the same on every Linux architecture (256 bytes), read at the
    /// offsets of linux/stat.h: mask @0, mode @28, ino @32, size @40, ctime @96, mtime @112, dev @136/140.
    /// </summary>
    [StructLayout(LayoutKind.Sequential, Size = 256)]
    private unsafe struct Statx
    {
        public uint Mask, BlockSize;
        public ulong Attributes;
        public uint Links, Uid, Gid;
        public ushort Mode, Spare0;
        public ulong Inode, Size;
        public fixed byte Rest[256 - 48];

        /// <summary>A statx_timestamp (i64 seconds, u32 nanoseconds) at an offset, in nanoseconds since the epoch.</summary>
        public long Nanoseconds(int offset)
        {
            fixed (Statx* self = &this)
            {
                var at = (byte*)self + offset;
                return *(long*)at * 1_000_000_000L + *(uint*)(at + 8);
            }
        }

        public uint UInt32(int offset)
        {
            fixed (Statx* self = &this) return *(uint*)((byte*)self + offset);
        }
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, ref Statx buffer);

    [LibraryImport("libc", EntryPoint = "getgrnam", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr getgrnam(string name);

    [LibraryImport("libc", EntryPoint = "chown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int chown(string path, int owner, int group);

    private const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100;
    private const uint STATX_TYPE = 0x1, STATX_MODE = 0x2, STATX_UID = 0x8, STATX_MTIME = 0x40, STATX_CTIME = 0x80,
        STATX_INO = 0x100, STATX_SIZE = 0x200;
    private const uint StatusMask = STATX_TYPE | STATX_MODE | STATX_MTIME | STATX_CTIME | STATX_INO | STATX_SIZE;
    private const int ENOENT = 2, ENOTDIR = 20;

    /// <summary>The mask of the file type in a mode (S_IFMT), and the type of a socket (S_IFSOCK).</summary>
    public const uint FileTypeMask = 0xf000, SocketFileType = 0xc000;

    /// <summary>
    /// The owner (uid) and mode of a path, not following a final symlink; null when it does not exist.
    /// The mode holds the file type too (<see cref="FileTypeMask"/>).
    /// </summary>
    public static (uint Uid, uint Mode)? OwnerAndMode(string path)
    {
        var buffer = new Statx();
        if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_MODE | STATX_UID, ref buffer) != 0) return null;
        return (buffer.Uid, buffer.Mode);
    }

    /// <summary>
    /// The status of a path, following symlinks as opening it does: null when nothing is there (or a
    /// component is not a directory); an <see cref="IOException"/> when it cannot be told (no permission,
    /// a file system that reports no inode or change time): "absent" must never be guessed.
    /// </summary>
    public static FileStatus? Status(string path)
    {
        var buffer = new Statx();
        if (statx(AT_FDCWD, path, 0, StatusMask, ref buffer) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno is ENOENT or ENOTDIR) return null;
            throw new IOException($"cannot stat {path}: errno {errno}");
        }
        if ((buffer.Mask & StatusMask) != StatusMask) throw new IOException($"the file system of {path} does not report its inode, size and times");
        return new FileStatus(buffer.Mode, (long)buffer.Size, buffer.Nanoseconds(112), buffer.Nanoseconds(96), buffer.Inode, buffer.UInt32(136), buffer.UInt32(140));
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static partial int statx_fd(int dirfd, ReadOnlySpan<byte> path, int flags, uint mask, ref Statx buffer);

    private const int AT_EMPTY_PATH = 0x1000;

    /// <summary>The status of an open file (fstat): what was read through it is what this status describes.</summary>
    public static FileStatus Status(Microsoft.Win32.SafeHandles.SafeFileHandle file)
    {
        var buffer = new Statx();
        bool added = false;
        file.DangerousAddRef(ref added);
        try
        {
            if (statx_fd((int)file.DangerousGetHandle(), "\0"u8, AT_EMPTY_PATH, StatusMask, ref buffer) != 0)
                throw new IOException($"cannot stat an open file: errno {Marshal.GetLastPInvokeError()}");
        }
        finally
        {
            if (added) file.DangerousRelease();
        }
        if ((buffer.Mask & StatusMask) != StatusMask) throw new IOException("the file system does not report an inode, size and times");
        return new FileStatus(buffer.Mode, (long)buffer.Size, buffer.Nanoseconds(112), buffer.Nanoseconds(96), buffer.Inode, buffer.UInt32(136), buffer.UInt32(140));
    }

    [LibraryImport("libc", EntryPoint = "opendir", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial IntPtr opendir(string path);

    [LibraryImport("libc", EntryPoint = "readdir64")]
    private static partial IntPtr readdir64(IntPtr directory);

    [LibraryImport("libc", EntryPoint = "closedir")]
    private static partial int closedir(IntPtr directory);

    /// <summary>
    /// Whether any name in a directory ends with <paramref name="suffix"/> (one pass of readdir, nothing
    /// allocated per entry); null when the directory cannot be read. struct dirent64 has its name at byte 19
    /// on every 64-bit and 32-bit glibc (d_ino and d_off are 64-bit, then d_reclen and d_type).
    /// </summary>
    public static unsafe bool? HasEntryEnding(string directory, ReadOnlySpan<byte> suffix)
    {
        var dir = opendir(directory);
        if (dir == IntPtr.Zero) return null;
        try
        {
            while (readdir64(dir) is var entry && entry != IntPtr.Zero)
            {
                var name = System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)entry + 19);
                if (name.EndsWith(suffix)) return true;
            }
            return false;
        }
        finally
        {
            closedir(dir);
        }
    }

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int prctl(int option, byte[] argument, nint unused3, nint unused4, nint unused5);

    private const int PrSetName = 15;

    /// <summary>
    /// Names the calling thread: called on a process's first thread, the name ps, top, pgrep and killall show
    /// (at most 15 bytes, cut there). Returns false when the kernel refused.
    /// </summary>
    public static bool NameThisThread(string name)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(name);
        var terminated = new byte[Math.Min(bytes.Length, 15) + 1];
        Array.Copy(bytes, terminated, terminated.Length - 1);
        return prctl(PrSetName, terminated, 0, 0, 0) == 0;
    }

    [LibraryImport("libc", EntryPoint = "execve", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int execve(string path, IntPtr[] argv, IntPtr[] envp);

    /// <summary>
    /// Replaces this process by <paramref name="path"/> with <paramref name="argv"/> (argv[0] first) and
    /// <paramref name="environment"/> (NAME=VALUE; null: this process's): the same process id. Returns only
    /// when it failed, with why.
    /// </summary>
    public static string Execute(string path, IReadOnlyList<string> argv, IReadOnlyList<string>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Select(e => $"{e.Key}={e.Value}").ToList();
        var nativeArgv = argv.Select(Marshal.StringToCoTaskMemUTF8).Append(IntPtr.Zero).ToArray();
        var nativeEnvp = environment.Select(Marshal.StringToCoTaskMemUTF8).Append(IntPtr.Zero).ToArray();
        Console.Out.Flush();
        Console.Error.Flush();
        execve(path, nativeArgv, nativeEnvp);
        var error = Marshal.GetLastPInvokeError();
        foreach (var p in nativeArgv.Concat(nativeEnvp)) if (p != IntPtr.Zero) Marshal.FreeCoTaskMem(p);
        return $"cannot run {path}: errno {error}";
    }

    /// <summary>The uid and gid of a user by name, or null when there is no such user here.</summary>
    public static (uint Uid, uint Gid)? UserIds(string name)
    {
        var entry = getpwnam(name);
        if (entry == IntPtr.Zero) return null;
        // struct passwd { char *pw_name; char *pw_passwd; uid_t pw_uid; gid_t pw_gid; ... }
        return ((uint)Marshal.ReadInt32(entry, 2 * IntPtr.Size), (uint)Marshal.ReadInt32(entry, 2 * IntPtr.Size + 4));
    }

    /// <summary>The numeric id of a group, or null when there is no such group.</summary>
    public static int? GroupId(string name)
    {
        var entry = getgrnam(name);
        if (entry == IntPtr.Zero) return null;
        // struct group { char *gr_name; char *gr_passwd; gid_t gr_gid; ... }
        return Marshal.ReadInt32(entry, 2 * IntPtr.Size);
    }

    /// <summary>Changes a file's group (its owner stays); false on failure.</summary>
    public static bool ChangeGroup(string path, int group) => chown(path, -1, group) == 0;

    /// <summary>chown(2): gives a file to a user and group; false (with errno in Marshal.GetLastPInvokeError) on failure.</summary>
    public static bool ChangeOwner(string path, uint owner, uint group) => chown(path, unchecked((int)owner), unchecked((int)group)) == 0;

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

    public static uint EffectiveUserId() => geteuid();

    /// <summary>link(2): a hard link; false when it cannot be made (another file system, not permitted).</summary>
    public static bool HardLink(string existing, string created) => link(existing, created) == 0;

    /// <summary>chmod(2); returns false (with errno in Marshal.GetLastPInvokeError) on failure.</summary>
    public static bool ChangeMode(string path, uint mode) => chmod(path, mode) == 0;
}

/// <summary>What stat(2) tells of a file: enough to see that it is still the very same, unchanged file.</summary>
/// <param name="Mode">The file type and permission bits (<see cref="Native.FileTypeMask"/>).</param>
/// <param name="ModifiedNanoseconds">mtime, in nanoseconds since the epoch.</param>
/// <param name="ChangedNanoseconds">ctime, which no user can set back: any write, chmod, rename or link moves it.</param>
public readonly record struct FileStatus(uint Mode, long Size, long ModifiedNanoseconds, long ChangedNanoseconds, ulong Inode, uint DeviceMajor, uint DeviceMinor)
{
    public bool IsDirectory => (Mode & Native.FileTypeMask) == 0x4000;
    public bool IsRegularFile => (Mode & Native.FileTypeMask) == 0x8000;
}
