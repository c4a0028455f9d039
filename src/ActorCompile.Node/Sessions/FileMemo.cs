using ActorCompile.Toolchain.Processes;

namespace ActorCompile.Node.Sessions;

/// <summary>One version of a file as the node hashed it for a user: what its status vouches for.</summary>
/// <param name="Status">The status it was read with (size, mtime, ctime, inode, device).</param>
/// <param name="Hash">SHA-256 of its content, computed here from the bytes the user sent.</param>
/// <param name="Directives">What its directives say, in the scanner's compact form, as the user's wrapper parsed them (opaque here).</param>
/// <param name="MentionsTimeMacros">It names __DATE__, __TIME__ or __TIMESTAMP__ (a result built from it is not cached).</param>
public sealed record RememberedFile(FileStatus Status, string Hash, byte[] Directives, bool MentionsTimeMacros);

/// <summary>
/// The node's memory of the file versions each user sent: by the file's identity (device and inode) and
/// checked against its whole status, so that a build hashes each version of a header once and parses its
/// directives once, instead of once per unit. Kept per user: an entry exists only because that user sent
/// the bytes it describes (the node hashed them itself), so a user's job never names a content that user
/// did not hold, and one user's wrapper (which parses the directives) decides nothing for another. Only
/// settled files are remembered (their times older than the doubt window when read, see FileTimes): a file
/// changed in the same tick as its last read could keep its status. At most <c>capacity</c> entries and
/// <c>maxBytes</c> of directives in all, the least recently used out first, and at most half of either of one user.
/// </summary>
public sealed class FileMemo(int capacity, long maxBytes)
{
    /// <summary>The longest directives one file may leave here (a header's are a few hundred bytes; a hostile wrapper's are not kept).</summary>
    public const int MaximumDirectivesBytes = 256 * 1024;

    private readonly record struct Key(uint Uid, uint Major, uint Minor, ulong Inode);

    private sealed class Node(Key key, RememberedFile file)
    {
        public Key Key = key;
        public RememberedFile File = file;
        public Node? Newer, Older;
    }

    private readonly object _lock = new();
    private readonly Dictionary<Key, Node> _entries = new();
    private readonly Dictionary<uint, (int Count, long Bytes)> _perUser = new();
    private long _bytes;
    private Node? _newest, _oldest;

    public long Bytes
    {
        get { lock (_lock) return _bytes; }
    }

    public int Count
    {
        get { lock (_lock) return _entries.Count; }
    }

    /// <summary>The remembered version of a user's file, when it has exactly this status; null otherwise.</summary>
    public RememberedFile? Get(uint uid, FileStatus status)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(KeyOf(uid, status), out var node) || node.File.Status != status) return null;
            Touch(node);
            return node.File;
        }
    }

    /// <summary>Remembers a version the user sent (a newer one of the same file replaces the older).</summary>
    public void Put(uint uid, RememberedFile file)
    {
        if (capacity <= 0 || file.Directives.Length > MaximumDirectivesBytes) return;
        lock (_lock)
        {
            var key = KeyOf(uid, file.Status);
            if (_entries.TryGetValue(key, out var existing)) Remove(existing);
            // A user at its share makes room among its own entries; otherwise the oldest of anyone's go.
            while (_perUser.TryGetValue(uid, out var mine) && (mine.Count >= Math.Max(1, capacity / 2) || mine.Bytes + file.Directives.Length > maxBytes / 2))
                RemoveOldestOf(uid);
            while ((_entries.Count >= capacity || _bytes + file.Directives.Length > maxBytes) && _oldest is { } oldest) Remove(oldest);
            var node = new Node(key, file);
            _entries[key] = node;
            var used = _perUser.GetValueOrDefault(uid);
            _perUser[uid] = (used.Count + 1, used.Bytes + file.Directives.Length);
            _bytes += file.Directives.Length;
            Link(node);
        }
    }

    /// <summary>Forgets everything (the cache's clear).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _entries.Clear();
            _perUser.Clear();
            _bytes = 0;
            _newest = _oldest = null;
        }
    }

    private static Key KeyOf(uint uid, FileStatus s) => new(uid, s.DeviceMajor, s.DeviceMinor, s.Inode);

    private void RemoveOldestOf(uint uid)
    {
        for (var n = _oldest; n is not null; n = n.Newer)
            if (n.Key.Uid == uid) { Remove(n); return; }
    }

    private void Remove(Node node)
    {
        Unlink(node);
        _entries.Remove(node.Key);
        var used = _perUser[node.Key.Uid];
        if (used.Count == 1) _perUser.Remove(node.Key.Uid);
        else _perUser[node.Key.Uid] = (used.Count - 1, used.Bytes - node.File.Directives.Length);
        _bytes -= node.File.Directives.Length;
    }

    private void Touch(Node node)
    {
        if (_newest == node) return;
        Unlink(node);
        Link(node);
    }

    private void Link(Node node)
    {
        node.Older = _newest;
        node.Newer = null;
        if (_newest is not null) _newest.Newer = node;
        _newest = node;
        _oldest ??= node;
    }

    private void Unlink(Node node)
    {
        if (node.Newer is not null) node.Newer.Older = node.Older;
        else _newest = node.Older;
        if (node.Older is not null) node.Older.Newer = node.Newer;
        else _oldest = node.Newer;
        node.Newer = node.Older = null;
    }
}
