namespace ActorCompile.Toolchain.Jobs;

/// <summary>
/// The sizes a job may reach on its way, all derived from one setting, actorcompile.max-job-size, so
/// that a job the wrapper may send is a job the cluster can carry and a worker may return: the cluster's
/// frame and the local socket's frame hold the largest job plus what a compiler may print, with room
/// for the message around them.
/// </summary>
public static class JobLimits
{
    /// <summary>The range actorcompile.max-job-size may take; a client reads frames up to FrameBytes(LargestMaxJobBytes).</summary>
    public const long SmallestMaxJobBytes = 1024, LargestMaxJobBytes = 1L << 30;

    /// <summary>What a compiler may print on each of stdout and stderr; more is cut and the job fails.</summary>
    public const int MaximumDiagnosticsBytes = 16 * 1024 * 1024;

    /// <summary>Room for everything in a message besides contents and diagnostics (paths, hashes, names, lengths).</summary>
    public const long EnvelopeBytes = 4L * 1024 * 1024;

    /// <summary>
    /// The largest message between nodes or frame on the socket for a given largest job: the job's
    /// contents (LZ4 never grows data by more than 1/255 plus a few bytes), both diagnostics streams and
    /// the envelope.
    /// </summary>
    public static long FrameBytes(long maxJobBytes) =>
        maxJobBytes + maxJobBytes / 255 + 2L * MaximumDiagnosticsBytes + EnvelopeBytes;
}
