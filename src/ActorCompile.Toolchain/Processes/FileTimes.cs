namespace ActorCompile.Toolchain.Processes;

/// <summary>
/// When a file's status may stand for its content. The kernel stamps mtime and ctime from a coarse clock (and
/// some file systems keep whole seconds), so two writes close together can leave the same status: a file
/// is remembered by its status (its hash, its directives) only when both times are older than the doubt
/// window at the moment it was read; a file changed within it is read and hashed again each time (ccache's
/// "too new" rule).
/// </summary>
public static class FileTimes
{
    public static readonly TimeSpan DoubtWindow = TimeSpan.FromSeconds(2);

    public static long ToNanoseconds(DateTime utc) => (utc.ToUniversalTime() - DateTime.UnixEpoch).Ticks * 100;

    /// <summary>Whether a status read at <paramref name="readAt"/> (now when null) is old enough to stand for the content read with it.</summary>
    public static bool Settled(FileStatus status, DateTime? readAt = null)
    {
        long limit = ToNanoseconds(readAt ?? DateTime.UtcNow) - DoubtWindow.Ticks * 100;
        return status.ModifiedNanoseconds < limit && status.ChangedNanoseconds < limit;
    }
}
