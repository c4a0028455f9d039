using ActorCompile.Toolchain.Jobs;
using ActorCompile.Toolchain.Processes;

namespace ActorCompile.Toolchain.DirectMode;

/// <summary>A file whose status must be exactly as recorded: an input (as the compiler opens it), a probed header, the compiler.</summary>
/// <param name="Hash">The SHA-256 of an input's content as the manifest names it; null for a probed header and the compiler.</param>
/// <param name="ChangeTimeMoves">
/// The compiler: a worker on this machine hard-links it into its toolchain store, which moves its ctime (and
/// link count) at will; a new compiler is a new inode or size or mtime, which is what is compared for it.
/// </param>
public sealed record WatchedFile(string Path, FileStatus Status, string? Hash, bool ChangeTimeMoves = false)
{
    /// <summary>Whether the file's status now is the recorded one (for the compiler: same inode, device, size and mtime).</summary>
    public bool Holds(FileStatus now) => ChangeTimeMoves
        ? (now.Inode, now.DeviceMajor, now.DeviceMinor, now.Size, now.ModifiedNanoseconds)
            == (Status.Inode, Status.DeviceMajor, Status.DeviceMinor, Status.Size, Status.ModifiedNanoseconds)
        : now == Status;
}

/// <summary>
/// A directory the preprocessor may look in, as it was: absent (<paramref name="Status"/> null) or there
/// with a status. <paramref name="AbsentNames"/> are the names in it that were no regular file then and
/// would change the compile if one appeared (a header found earlier on the search path). A directory's
/// mtime and ctime move whenever a name in it is created, removed or renamed, so while its status is the
/// same, none of them can have appeared; when it changed (an object was written next to the sources), each
/// of those names is looked at. <paramref name="Settled"/> is false when the directory had changed within
/// the doubt window before the record was taken: its status then vouches for nothing, and its names are
/// always looked at.
/// </summary>
public sealed record WatchedDirectory(string Path, FileStatus? Status, bool Settled, IReadOnlyList<string> AbsentNames);

/// <summary>
/// The wrapper's direct-mode record of one command's dependency scan: the job manifest it gave (entries
/// exactly as sent, system include directories, the pre-include flag), and what must still hold by stat
/// for that manifest to describe the same compile without scanning again.
/// <para>
/// The rule for doubt (a record that does not hold sends the wrapper back to the full scan, which records afresh):
/// <list type="bullet">
/// <item>any input (and the compiler) whose size, mtime, ctime, inode or device differs, or which is gone: contents are never assumed;</item>
/// <item>a directory that may be searched which appeared or disappeared, or whose status changed while a name
/// recorded as absent in it is now a regular file (a header that would be found earlier: shadowing). The directories
/// are each -I/-iquote/-isystem/-idirafter directory, each system include directory, the working directory and the
/// directory of every input (the "roots"); and, for every input at relative path R below a root, dirname(R) below
/// every root, with basename(R) as a name that must stay absent wherever it was absent. __has_include names count as R too;</item>
/// <item>no record is written at all when an input was modified within 2 s of the record (mtime or ctime): a file
/// system with coarse timestamps could hide a second change in the same tick (ccache's "too new" rule); nor when an
/// input mentions __DATE__, __TIME__ or __TIMESTAMP__ (<see cref="TimeMacros"/>).</item>
/// </list>
/// Not covered: an include that climbs out of every root with ".." ("../x.h" found below the parent of a root) is
/// watched only through the directory the header was found in.
/// </para>
/// </summary>
public sealed record DirectRecord(
    string Key,
    long RecordedNanoseconds,
    IReadOnlyList<string> SystemIncludeDirectories,
    bool PreincludeStdcPredef,
    IReadOnlyList<MirrorEntry> Entries,
    IReadOnlyList<WatchedFile> Files,
    IReadOnlyList<WatchedDirectory> Directories)
{
    /// <summary>Why the record no longer describes the compile (the first difference found), or null when it holds.</summary>
    public string? Doubt()
    {
        try
        {
            foreach (var file in Files)
            {
                var now = Native.Status(file.Path);
                if (now is null) return $"{file.Path} is gone";
                if (!file.Holds(now.Value)) return $"{file.Path} changed";
            }
            foreach (var directory in Directories)
                if (DirectoryDoubt(directory) is { } why) return why;
        }
        catch (IOException e)
        {
            return e.Message;
        }
        return null;
    }

    private static string? DirectoryDoubt(WatchedDirectory directory)
    {
        var now = Native.Status(directory.Path);
        if (directory.Status is null) return now is null ? null : $"{directory.Path} appeared";
        if (now is not { IsDirectory: true }) return $"{directory.Path} is no longer a directory";
        if (directory.Settled && now.Value == directory.Status.Value) return null;
        foreach (var name in directory.AbsentNames)
        {
            var path = directory.Path == "/" ? "/" + name : directory.Path + "/" + name;
            if (Native.Status(path) is { IsRegularFile: true }) return $"{path} appeared (it may shadow a header)";
        }
        return null;
    }
}
