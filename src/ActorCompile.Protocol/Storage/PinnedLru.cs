namespace ActorCompile.Protocol.Storage;

/// <summary>
/// A size-limited index of entries by key, least recently used out, where pinned entries (in use by a
/// job) never go. Every operation is O(1) per entry touched: unpinned entries sit in a linked list in
/// order of use, and eviction takes from its head. Thread-safe. It holds values and sizes only; what an
/// evicted entry owns (a file on disk) is its owner's to remove, which is why <see cref="Add"/> and
/// <see cref="Unpin"/> return what they evicted. Used by the coordinator's store of contents (in memory)
/// and the worker's cache of contents (on disk).
/// </summary>
public sealed class PinnedLru<TValue>
{
    private sealed class Entry(string key, TValue value, long size)
    {
        public string Key { get; } = key;
        public TValue Value { get; } = value;
        public long Size { get; } = size;
        public int Pins;
        /// <summary>The entry's place in the order of use; null while it is pinned.</summary>
        public LinkedListNode<Entry>? Node;
    }

    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _unpinned = new();
    private readonly long _limit;
    private long _bytes;

    public PinnedLru(long limitBytes) => _limit = limitBytes;

    public long Bytes { get { lock (_gate) return _bytes; } }
    public int Count { get { lock (_gate) return _entries.Count; } }
    public long Limit => _limit;

    public bool Contains(string key)
    {
        lock (_gate) return _entries.ContainsKey(key);
    }

    /// <summary>The value under a key, which becomes the most recently used.</summary>
    public bool TryGet(string key, out TValue value)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var e))
            {
                value = default!;
                return false;
            }
            Touch(e);
            value = e.Value;
            return true;
        }
    }

    /// <summary>The value under a key, leaving its place in the order of use as it is.</summary>
    public bool TryPeek(string key, out TValue value)
    {
        lock (_gate)
        {
            var found = _entries.TryGetValue(key, out var e);
            value = found ? e!.Value : default!;
            return found;
        }
    }

    public bool IsPinned(string key)
    {
        lock (_gate) return _entries.TryGetValue(key, out var e) && e.Pins > 0;
    }

    /// <summary>The size recorded for a key, or null when it is not here.</summary>
    public long? SizeOf(string key)
    {
        lock (_gate) return _entries.TryGetValue(key, out var e) ? e.Size : null;
    }

    /// <summary>The keys among <paramref name="keys"/> that are not here, each once.</summary>
    public List<string> Missing(IEnumerable<string> keys)
    {
        lock (_gate) return keys.Where(k => !_entries.ContainsKey(k)).Distinct().ToList();
    }

    /// <summary>
    /// Adds an entry (or touches the one already there, keeping its value), pinned once more when
    /// <paramref name="pin"/> (so that nothing added after it can evict it before its user pins it), and
    /// evicts the least recently used unpinned entries while over the limit. Returns what was evicted.
    /// </summary>
    public List<(string Key, TValue Value)> Add(string key, TValue value, long size, bool pin = false)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var e))
            {
                e = new Entry(key, value, size);
                _entries[key] = e;
                _bytes += size;
                if (!pin) e.Node = _unpinned.AddLast(e);
            }
            else if (!pin)
            {
                Touch(e);
                return new();
            }
            else if (e.Node is not null)
            {
                _unpinned.Remove(e.Node);
                e.Node = null;
            }
            if (pin) e.Pins++;
            return Evict();
        }
    }

    /// <summary>Pins every key, all or nothing: false (and nothing pinned) when one is missing.</summary>
    public bool Pin(IReadOnlyCollection<string> keys)
    {
        lock (_gate)
        {
            if (keys.Any(k => !_entries.ContainsKey(k))) return false;
            foreach (var k in keys)
            {
                var e = _entries[k];
                if (e.Pins++ == 0 && e.Node is not null)
                {
                    _unpinned.Remove(e.Node);
                    e.Node = null;
                }
            }
            return true;
        }
    }

    /// <summary>Unpins keys pinned before (as often as they were pinned), then evicts while over the limit.</summary>
    public List<(string Key, TValue Value)> Unpin(IEnumerable<string> keys)
    {
        lock (_gate)
        {
            foreach (var k in keys)
            {
                if (!_entries.TryGetValue(k, out var e) || e.Pins == 0) continue;
                if (--e.Pins == 0) e.Node = _unpinned.AddLast(e);
            }
            return Evict();
        }
    }

    /// <summary>Every entry's key and value at this moment (to empty a store).</summary>
    public List<(string Key, TValue Value)> Snapshot()
    {
        lock (_gate) return _entries.Values.Select(e => (e.Key, e.Value)).ToList();
    }

    /// <summary>Forgets an entry that is not pinned (its content was found corrupt, say); false when pinned or absent.</summary>
    public bool Remove(string key)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var e) || e.Pins > 0) return false;
            _unpinned.Remove(e.Node!);
            _entries.Remove(key);
            _bytes -= e.Size;
            return true;
        }
    }

    private void Touch(Entry e)
    {
        if (e.Node is null) return; // pinned: it goes back to the end when unpinned
        _unpinned.Remove(e.Node);
        _unpinned.AddLast(e.Node);
    }

    private List<(string Key, TValue Value)> Evict()
    {
        var evicted = new List<(string, TValue)>();
        while (_bytes > _limit && _unpinned.First is { } oldest)
        {
            _unpinned.RemoveFirst();
            _entries.Remove(oldest.Value.Key);
            _bytes -= oldest.Value.Size;
            evicted.Add((oldest.Value.Key, oldest.Value.Value));
        }
        return evicted;
    }
}
