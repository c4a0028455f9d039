namespace ActorCompile.Worker.Execution;

/// <summary>
/// Holds what a task makes off an actor's thread (a toolchain's reservation, a job's directory) so that the
/// actor releases it when it stops, also when the task's answer never comes back to it: what the task hands
/// in after the slot was released is released at once.
/// </summary>
public sealed class OffThreadSlot<T> : IDisposable where T : class, IDisposable
{
    private readonly object _gate = new();
    private T? _value;
    private bool _disposed;

    /// <summary>What the slot holds now, or null.</summary>
    public T? Value { get { lock (_gate) return _value; } }

    public void Hold(T value)
    {
        lock (_gate)
        {
            if (!_disposed) { _value = value; return; }
        }
        value.Dispose();
    }

    public void Dispose()
    {
        T? held;
        lock (_gate)
        {
            _disposed = true;
            held = _value;
            _value = null;
        }
        held?.Dispose();
    }
}
