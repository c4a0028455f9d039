using System.IO.Hashing;
using System.Text;
using ActorCompile.Toolchain.Processes;

namespace ActorCompile.Toolchain.DirectMode;

/// <summary>
/// The user's own direct-mode records: one file per command under
/// <c>$XDG_CACHE_HOME/actorcompile/direct/</c> (else <c>$HOME/.cache/actorcompile/direct/</c>, or
/// <c>$ACTORCOMPILE_DIRECT_DIR</c>), in 256 shards named by the first two hex digits of the file name. The
/// directory must be the user's own and closed to others (created 0700; records 0600): a record is
/// believed about what a compile reads, so nobody else may write one. Records are written to a fresh
/// temporary file (O_EXCL) and renamed into place, so a reader sees a whole record or none.
/// <para>
/// Bounded: a record above <see cref="MaxRecordBytes"/> is not kept; a shard holds at most
/// <see cref="MaxShardRecords"/> records and <see cref="MaxShardBytes"/> bytes, the oldest going first.
/// The store thus never exceeds 256 x 2 MiB = 512 MiB (16384 records).
/// </para>
/// </summary>
public sealed class DirectStore
{
    public const string DirectoryVariable = "ACTORCOMPILE_DIRECT_DIR";
    public const int MaxRecordBytes = 1 << 20;
    public const long MaxShardBytes = 2L << 20;
    public const int MaxShardRecords = 64;

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public string Directory { get; }

    private DirectStore(string directory) => Directory = directory;

    /// <summary>Where the records live for this user, or null when the environment names no place (no HOME).</summary>
    public static string? DefaultDirectory(Func<string, string?> getVariable)
    {
        if (getVariable(DirectoryVariable) is { Length: > 0 } explicitDirectory) return explicitDirectory;
        if (getVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg && xdg.StartsWith('/')) return Path.Combine(xdg, "actorcompile", "direct");
        if (getVariable("HOME") is { Length: > 0 } home && home.StartsWith('/')) return Path.Combine(home, ".cache", "actorcompile", "direct");
        return null;
    }

    /// <summary>The store in <paramref name="directory"/> (created 0700 when missing), or null with the reason it cannot be trusted.</summary>
    public static DirectStore? Open(string directory, out string? problem)
    {
        problem = null;
        try
        {
            if (Native.OwnerAndMode(directory) is null)
            {
                if (Path.GetDirectoryName(directory) is { Length: > 0 } parent) System.IO.Directory.CreateDirectory(parent);
                System.IO.Directory.CreateDirectory(directory, OwnerOnly);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"cannot create {directory}: {e.Message}";
            return null;
        }
        if (Native.OwnerAndMode(directory) is not { } owner || (owner.Mode & Native.FileTypeMask) != 0x4000)
            problem = $"{directory} is not a directory";
        else if (owner.Uid != Native.EffectiveUserId())
            problem = $"{directory} belongs to another user";
        else if ((owner.Mode & 0x3f) != 0)
            problem = $"{directory} is open to other users (it must be mode 0700)";
        return problem is null ? new DirectStore(directory) : null;
    }

    /// <summary>
    /// What identifies a command's record: the compiler's key, the job's arguments, the logical working
    /// directory, the forwarded environment and the format version, each length-prefixed. The record holds
    /// this text and is used only for exactly this text; its file is named by a hash of it.
    /// </summary>
    public static string Key(string compilerKey, IReadOnlyList<string> args, string cwd, IReadOnlyList<KeyValuePair<string, string>> environment)
    {
        var text = new StringBuilder();
        void Add(string s) => text.Append(s.Length).Append(':').Append(s).Append('\n');
        Add($"actorcompile direct mode {DirectRecordFormat.Version}");
        Add(compilerKey);
        Add(cwd);
        Add(args.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var a in args) Add(a);
        Add(environment.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var (name, value) in environment) { Add(name); Add(value); }
        return text.ToString();
    }

    /// <summary>
    /// The record's file name: XXH128 of the key, in hex. Not SHA-256: .NET computes that with OpenSSL, whose
    /// loading alone costs the wrapper about 10 ms, the whole budget of a direct hit; a collision cannot
    /// mislead, since the record holds its key and is compared with it.
    /// </summary>
    public static string FileName(string key) => Convert.ToHexStringLower(XxHash128.Hash(Encoding.UTF8.GetBytes(key)));

    /// <summary>Where the record of a key lives: its shard (the first two hex digits) and the rest of its name.</summary>
    public string PathOf(string key)
    {
        var name = FileName(key);
        return Path.Combine(Directory, name[..2], name[2..]);
    }

    /// <summary>The record for a key, or null when there is none or it is unusable (then it is deleted, with the reason in <paramref name="problem"/>).</summary>
    public DirectRecord? Load(string key, out string? problem)
    {
        problem = null;
        var path = PathOf(key);
        byte[] bytes;
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
            if (file.Length > MaxRecordBytes) bytes = Array.Empty<byte>();
            else
            {
                bytes = new byte[file.Length];
                file.ReadExactly(bytes);
            }
        }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = $"cannot read the record: {e.Message}";
            return null;
        }
        var record = DirectRecordFormat.Read(bytes);
        if (record is not null && record.Key == key) return record;
        problem = "the record is corrupt or of another version";
        Delete(key);
        return null;
    }

    /// <summary>Keeps a record (replacing the one of its key), making room in its shard; false with the reason when it is not kept.</summary>
    public bool Save(DirectRecord record, out string? problem)
    {
        problem = null;
        var bytes = DirectRecordFormat.Write(record);
        if (bytes.Length > MaxRecordBytes)
        {
            problem = $"the record would take {bytes.Length} bytes (at most {MaxRecordBytes})";
            return false;
        }
        var path = PathOf(record.Key);
        var shard = Path.GetDirectoryName(path)!;
        var temporary = Path.Combine(shard, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            System.IO.Directory.CreateDirectory(shard, OwnerOnly);
            MakeRoom(shard, path, bytes.Length);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
            using (var file = new FileStream(temporary, options)) file.Write(bytes);
            File.Move(temporary, path, overwrite: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temporary); }
            catch (Exception again) when (again is IOException or UnauthorizedAccessException) { } // the first error is the one to tell
            problem = $"cannot write the record: {e.Message}";
            return false;
        }
    }

    /// <summary>Deletes the oldest files of the shard (the one to be replaced first) until the new record fits its bounds.</summary>
    private static void MakeRoom(string shard, string replaced, int incoming)
    {
        var files = new DirectoryInfo(shard).EnumerateFiles().OrderBy(f => f.FullName == replaced ? 0 : 1).ThenBy(f => f.LastWriteTimeUtc).ToList();
        long bytes = files.Sum(f => f.Length);
        int count = files.Count;
        foreach (var f in files)
        {
            if (count < MaxShardRecords && bytes + incoming <= MaxShardBytes) break;
            long length = f.Length;
            try { f.Delete(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            count--;
            bytes -= length;
        }
    }

    public void Delete(string key)
    {
        try { File.Delete(PathOf(key)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // a record that cannot be deleted is rewritten by the next scan
    }
}
