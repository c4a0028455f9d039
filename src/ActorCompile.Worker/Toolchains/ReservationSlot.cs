namespace ActorCompile.Worker.Toolchains;

/// <summary>
/// Holds the reservation a task makes off the actor's thread: a runner that stops before the task ends
/// still releases it (the task's answer may never be read).
/// </summary>
public sealed class ReservationSlot : IDisposable
{
    private readonly object _gate = new();
    private ToolchainReservation? _reservation;
    private bool _disposed;

    public long Bytes { get { lock (_gate) return _reservation?.Bytes ?? 0; } }

    public void Hold(ToolchainReservation reservation)
    {
        lock (_gate)
        {
            if (!_disposed) { _reservation = reservation; return; }
        }
        reservation.Dispose();
    }

    public void Dispose()
    {
        ToolchainReservation? held;
        lock (_gate)
        {
            _disposed = true;
            held = _reservation;
            _reservation = null;
        }
        held?.Dispose();
    }
}
