namespace ActorCompile.LocalProtocol;

/// <summary>
/// Exit codes of actorcompile itself. A compile otherwise exits with the compiler's own code; these are
/// chosen above what compilers use (like distcc's 100-series) so that a build log tells them apart.
/// </summary>
public static class ExitCodes
{
    /// <summary>Usage error: unknown command or option.</summary>
    public const int Usage = 2;

    /// <summary>The status CLI found no node to ask.</summary>
    public const int NoNode = 3;

    /// <summary>setup could not finish: the seed refused the token or could not be reached, or a file could not be written.</summary>
    public const int SetupFailed = 4;

    /// <summary>No real compiler of that name was found (masquerade or first argument), or the wrapper would call itself.</summary>
    public const int CompilerNotFound = 110;

    /// <summary>ACTORCOMPILE_FALLBACK=0 and the compile could not be distributed.</summary>
    public const int DistributionRequired = 111;

    /// <summary>The remote compile succeeded but its output could not be written here.</summary>
    public const int OutputNotWritten = 112;
}
