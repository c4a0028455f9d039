using System.Runtime.InteropServices;
using System.Security.Cryptography;
using ActorCompile.Toolchain.Processes;

namespace ActorCompile.Setup.Joining;

/// <summary>
/// The cluster's secret files in the configuration directory (/etc/actorcompile, or
/// $ACTORCOMPILE_CONFIG_DIR): the certificate (PKCS#12), its password, and the join key that signs join
/// tokens (on the machine that makes tokens). Each is written with mode 0600 from the moment it exists,
/// and owned by the service user when setup runs as root and that user exists.
/// </summary>
public sealed class ClusterFiles(string directory)
{
    public const string ConfigDirectoryVariable = "ACTORCOMPILE_CONFIG_DIR";
    /// <summary>The user the installed service runs as; another name for a package that uses another (and for tests).</summary>
    public const string ServiceUserVariable = "ACTORCOMPILE_SERVICE_USER";

    public static string ServiceUser => Environment.GetEnvironmentVariable(ServiceUserVariable) is { Length: > 0 } u ? u : "actorcompile";
    public const int JoinKeyBytes = 32;

    public string Directory { get; } = directory;
    public string Certificate => Path.Combine(Directory, "cluster.pfx");
    public string PasswordFile => Path.Combine(Directory, "cluster.password");
    public string JoinKeyFile => Path.Combine(Directory, "cluster.joinkey");

    /// <summary>$ACTORCOMPILE_CONFIG_DIR when set, else /etc/actorcompile.</summary>
    public static string DefaultDirectory() =>
        Environment.GetEnvironmentVariable(ConfigDirectoryVariable) is { Length: > 0 } d ? d : "/etc/actorcompile";

    public bool HasCertificate => File.Exists(Certificate) && File.Exists(PasswordFile);

    public string ReadPassword() => File.ReadLines(PasswordFile).FirstOrDefault() ?? "";

    /// <summary>The join key, or null when it is missing or not a key this code wrote.</summary>
    public byte[]? ReadJoinKey() => ReadJoinKey(JoinKeyFile);

    public static byte[]? ReadJoinKey(string path)
    {
        if (!File.Exists(path) || new FileInfo(path).Length > 1024) return null;
        try
        {
            var key = Convert.FromHexString(File.ReadAllText(path).Trim());
            return key.Length == JoinKeyBytes ? key : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    public void WriteCertificate(byte[] pkcs12, string password)
    {
        WriteSecret(PasswordFile, System.Text.Encoding.UTF8.GetBytes(password + "\n"));
        WriteSecret(Certificate, pkcs12);
    }

    /// <summary>A new random join key; tokens made with the old one stop working.</summary>
    public byte[] WriteNewJoinKey()
    {
        var key = RandomNumberGenerator.GetBytes(JoinKeyBytes);
        WriteSecret(JoinKeyFile, System.Text.Encoding.ASCII.GetBytes(Convert.ToHexString(key) + "\n"));
        return key;
    }

    /// <summary>
    /// Writes a file that only its owner may read: a temporary file created 0600, handed to the service
    /// user, then renamed over the old one, so that no reader ever sees it half-written or more open.
    /// </summary>
    public void WriteSecret(string path, byte[] content)
    {
        System.IO.Directory.CreateDirectory(Directory);
        AtomicFile.Write(path, content, UnixFileMode.UserRead | UnixFileMode.UserWrite, beforeRename: GiveToServiceUser);
    }

    /// <summary>
    /// Only root may give a file away; a user setting up a node of their own keeps their files, which is
    /// what their node (running as them) needs. Root gives them to the service user when it exists, since
    /// the installed service runs as that user and the files are 0600.
    /// </summary>
    private static void GiveToServiceUser(string path)
    {
        if (Native.EffectiveUserId() != 0 || ServiceUserIds() is not { } ids) return;
        if (!Native.ChangeOwner(path, ids.Uid, ids.Gid))
            throw new IOException($"cannot give {path} to the user {ServiceUser} (errno {Marshal.GetLastPInvokeError()})");
    }

    /// <summary>The service user's uid and gid, or null when there is no such user.</summary>
    public static (uint Uid, uint Gid)? ServiceUserIds() => Native.UserIds(ServiceUser);
}
