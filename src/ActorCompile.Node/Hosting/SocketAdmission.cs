namespace ActorCompile.Node.Hosting;

/// <summary>
/// Who may hold how much of the local socket: at most <see cref="SocketLimits.Clients"/> connections in
/// all and <see cref="SocketLimits.ClientsPerUser"/> per user (by the peer's uid, which the kernel
/// vouches for), so that one user cannot take every place; and per user a budget of bytes that its
/// unfinished frames may hold, so that no user can make the node grow beyond it.
/// </summary>
public sealed class SocketAdmission(SocketLimits limits)
{
    private readonly object _gate = new();
    private readonly Dictionary<uint, SocketUser> _users = new();
    private int _clients;

    /// <summary>One user's connections and byte budget.</summary>
    public sealed class SocketUser(uint uid, long budgetBytes)
    {
        public uint Uid { get; } = uid;
        public ByteBudget Budget { get; } = new(budgetBytes);
        public int Clients { get; set; }
    }

    /// <summary>Admits a connection of this user, or says why not.</summary>
    public SocketUser? TryAdmit(uint uid, out string? refusal)
    {
        lock (_gate)
        {
            refusal = null;
            if (_clients >= limits.Clients)
            {
                refusal = $"the node serves at most {limits.Clients} clients at once (actorcompile.socket-clients); try again";
                return null;
            }
            if (!_users.TryGetValue(uid, out var user)) _users[uid] = user = new SocketUser(uid, limits.BufferPerUserBytes);
            if (user.Clients >= limits.ClientsPerUser)
            {
                refusal = $"the node serves at most {limits.ClientsPerUser} clients of one user at once (actorcompile.socket-clients-per-user); try again";
                return null;
            }
            user.Clients++;
            _clients++;
            return user;
        }
    }

    /// <summary>A connection ended; a user without connections is forgotten (it holds no bytes then).</summary>
    public void Leave(SocketUser user)
    {
        lock (_gate)
        {
            _clients--;
            if (--user.Clients == 0) _users.Remove(user.Uid);
        }
    }

    public int Clients { get { lock (_gate) return _clients; } }
}

/// <summary>
/// Bytes that may be held at once, reserved before they are read and given back after: a reservation
/// that does not fit waits (first come, first served) until earlier ones are given back.
/// </summary>
public sealed class ByteBudget(long capacityBytes)
{
    private readonly object _gate = new();
    private readonly LinkedList<(long Bytes, TaskCompletionSource Granted)> _waiting = new();
    private long _used;

    public long Used { get { lock (_gate) return _used; } }

    /// <summary>Waits until <paramref name="bytes"/> (at most the capacity) fit, and holds them until the result is disposed.</summary>
    public async ValueTask<IDisposable> ReserveAsync(long bytes, CancellationToken cancellationToken)
    {
        if (bytes > capacityBytes) throw new ArgumentOutOfRangeException(nameof(bytes), $"{bytes} bytes never fit a budget of {capacityBytes}");
        LinkedListNode<(long, TaskCompletionSource)> node;
        lock (_gate)
        {
            if (_waiting.Count == 0 && _used + bytes <= capacityBytes)
            {
                _used += bytes;
                return new Reservation(this, bytes);
            }
            node = _waiting.AddLast((bytes, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)));
        }
        await using (cancellationToken.Register(() => Withdraw(node, cancellationToken)))
            await node.Value.Item2.Task;
        return new Reservation(this, bytes);
    }

    private void Withdraw(LinkedListNode<(long, TaskCompletionSource Granted)> node, CancellationToken token)
    {
        lock (_gate)
        {
            if (node.List is null) return; // granted already: the caller disposes its reservation
            _waiting.Remove(node);
            node.Value.Granted.TrySetCanceled(token);
            // The ones behind it that fit now go at once, not when some other reservation is given back (which a
            // slow frame may hold until its own deadline).
            GrantWaiting();
        }
    }

    private void Release(long bytes)
    {
        lock (_gate)
        {
            _used -= bytes;
            GrantWaiting();
        }
    }

    /// <summary>Grants waiting reservations in their order while the first of them fits. Called under the lock.</summary>
    private void GrantWaiting()
    {
        while (_waiting.First is { } first && _used + first.Value.Bytes <= capacityBytes)
        {
            _waiting.RemoveFirst();
            _used += first.Value.Bytes;
            first.Value.Granted.TrySetResult();
        }
    }

    private sealed class Reservation(ByteBudget budget, long bytes) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) budget.Release(bytes);
        }
    }
}
