using System.IO.Hashing;
using System.Text;
using ActorCompile.Toolchain.Jobs;
using ActorCompile.Toolchain.Processes;

namespace ActorCompile.Toolchain.DirectMode;

/// <summary>
/// The bytes of a direct-mode record on disk: a magic, the format version, the record, and an XXH128 of
/// all that before it (against truncation and damage; only the user can write there, so no adversary forges it). A record that is truncated, corrupt, of another version or bigger than its bound
/// reads as null: it is never half trusted.
/// </summary>
public static class DirectRecordFormat
{
    /// <summary>Part of every record's key too: a new version names new records, and old ones are ignored.</summary>
    public const int Version = 1;

    private static readonly byte[] Magic = "ACDM"u8.ToArray();
    private const int MaxString = 4096, MaxKey = 256 << 10, MaxCount = 1 << 20, Checksum = 16;

    public static byte[] Write(DirectRecord record)
    {
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(Version);
            w.Write(record.Key);
            w.Write(record.RecordedNanoseconds);
            Strings(w, record.SystemIncludeDirectories);
            w.Write(record.PreincludeStdcPredef);
            w.Write(record.Entries.Count);
            foreach (var e in record.Entries)
            {
                w.Write((byte)e.Kind);
                w.Write(e.Path);
                w.Write(e.Hash ?? "");
                w.Write(e.Size);
                w.Write(e.ModifiedUnixMilliseconds);
            }
            w.Write(record.Files.Count);
            foreach (var f in record.Files)
            {
                w.Write(f.Path);
                Status(w, f.Status);
                w.Write(f.Hash ?? "");
                w.Write(f.ChangeTimeMoves);
            }
            w.Write(record.Directories.Count);
            foreach (var d in record.Directories)
            {
                w.Write(d.Path);
                w.Write(d.Status is not null);
                if (d.Status is { } s) Status(w, s);
                w.Write(d.Settled);
                Strings(w, d.AbsentNames);
            }
        }
        buffer.Write(XxHash128.Hash(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
        return buffer.ToArray();
    }

    /// <summary>The record in <paramref name="bytes"/>, or null when they are not a whole, intact record of this version.</summary>
    public static DirectRecord? Read(byte[] bytes)
    {
        if (bytes.Length < Magic.Length + 4 + Checksum) return null;
        var body = bytes.AsSpan(0, bytes.Length - Checksum);
        if (!body.StartsWith(Magic) || !XxHash128.Hash(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - Checksum))) return null;
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes, 0, body.Length), Encoding.UTF8);
            r.ReadBytes(Magic.Length);
            if (r.ReadInt32() != Version) return null;
            var record = ReadRecord(r);
            return r.BaseStream.Position == body.Length ? record : null;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException or InvalidDataException
            or ArgumentException or DecoderFallbackException or OverflowException)
        {
            return null;
        }
    }

    private static DirectRecord ReadRecord(BinaryReader r)
    {
        var key = String(r, MaxKey);
        long recorded = r.ReadInt64();
        var system = Strings(r);
        bool preinclude = r.ReadBoolean();
        var entries = new List<MirrorEntry>();
        for (int i = Count(r); i > 0; i--)
        {
            var kind = (MirrorEntryKind)r.ReadByte();
            if (!Enum.IsDefined(kind)) throw new InvalidDataException("unknown entry kind");
            var path = String(r);
            var hash = String(r);
            entries.Add(new MirrorEntry(kind, path, hash.Length == 0 ? null : hash, r.ReadInt64(), r.ReadInt64()));
        }
        var files = new List<WatchedFile>();
        for (int i = Count(r); i > 0; i--)
        {
            var path = String(r);
            var status = Status(r);
            var hash = String(r);
            files.Add(new WatchedFile(path, status, hash.Length == 0 ? null : hash, r.ReadBoolean()));
        }
        var directories = new List<WatchedDirectory>();
        for (int i = Count(r); i > 0; i--)
        {
            var path = String(r);
            FileStatus? status = r.ReadBoolean() ? Status(r) : null;
            directories.Add(new WatchedDirectory(path, status, r.ReadBoolean(), Strings(r)));
        }
        return new DirectRecord(key, recorded, system, preinclude, entries, files, directories);
    }

    private static void Status(BinaryWriter w, FileStatus s)
    {
        w.Write(s.Mode);
        w.Write(s.Size);
        w.Write(s.ModifiedNanoseconds);
        w.Write(s.ChangedNanoseconds);
        w.Write(s.Inode);
        w.Write(s.DeviceMajor);
        w.Write(s.DeviceMinor);
    }

    private static FileStatus Status(BinaryReader r) =>
        new(r.ReadUInt32(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadUInt64(), r.ReadUInt32(), r.ReadUInt32());

    private static void Strings(BinaryWriter w, IReadOnlyList<string> list)
    {
        w.Write(list.Count);
        foreach (var s in list) w.Write(s);
    }

    private static List<string> Strings(BinaryReader r)
    {
        var list = new List<string>();
        for (int i = Count(r); i > 0; i--) list.Add(String(r));
        return list;
    }

    private static int Count(BinaryReader r)
    {
        int n = r.ReadInt32();
        return n is >= 0 and <= MaxCount ? n : throw new InvalidDataException("count out of bounds");
    }

    private static string String(BinaryReader r, int max = MaxString)
    {
        var s = r.ReadString();
        return s.Length <= max ? s : throw new InvalidDataException("string too long");
    }
}
