using System.Security.Cryptography;
using ActorCompile.Setup.Joining;
using ActorCompile.Toolchain.Processes;

namespace ActorCompile.Node.Configuration;

/// <summary>
/// The cluster certificate of the nodes one user starts on one machine (the demo, tests, a target with
/// local workers), for a node configured with no certificate of its own: every connection between
/// members is mutual TLS, loopback included, because on one machine every local user can reach a
/// loopback port. The first node creates it in $XDG_STATE_HOME/actorcompile/cluster (else
/// ~/.local/state/actorcompile/cluster), a directory only the user may enter; the others find it there.
/// Another local user cannot read it, so their processes cannot become members. Other machines join
/// with a token (actorcompile setup), which carries the certificate of the node that made it.
/// </summary>
public static class UserClusterKey
{
    public const string DirectoryName = "cluster";

    /// <summary>Where this user's nodes keep it, or null when the user has no home to keep it in.</summary>
    public static string? DefaultDirectory() => StateDirectory() is { } state ? Path.Combine(state, DirectoryName) : null;

    /// <summary>This user's actorcompile state: $XDG_STATE_HOME/actorcompile, else ~/.local/state/actorcompile; null without either.</summary>
    public static string? StateDirectory()
    {
        var state = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        if (string.IsNullOrEmpty(state) || !Path.IsPathRooted(state))
        {
            var home = Environment.GetEnvironmentVariable("HOME");
            if (string.IsNullOrEmpty(home) || !Path.IsPathRooted(home)) return null;
            state = Path.Combine(home, ".local", "state");
        }
        return Path.Combine(state, "actorcompile");
    }

    /// <summary>
    /// The certificate and its password in <paramref name="directory"/>, created when absent. Two nodes
    /// starting at once create one: each writes a complete directory under a name of its own and renames
    /// it into place; the rename that loses finds the winner's. A directory or file that others may read
    /// or change, or that another user owns, is refused: a key others can read admits them.
    /// </summary>
    public static (string Certificate, string PasswordFile, bool Created) FindOrCreate(string directory)
    {
        var files = new ClusterFiles(directory);
        bool created = false;
        if (!Directory.Exists(directory))
        {
            var parent = Path.GetDirectoryName(directory)!;
            Directory.CreateDirectory(parent, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var incoming = Path.Combine(parent, $".{DirectoryName}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}");
            Directory.CreateDirectory(incoming, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            try
            {
                var (pkcs12, password) = ClusterCertificate.Create();
                // Written here rather than by ClusterFiles: that one gives root's files to the service user.
                var staged = new ClusterFiles(incoming);
                WriteOwnerOnly(staged.PasswordFile, System.Text.Encoding.UTF8.GetBytes(password + "\n"));
                WriteOwnerOnly(staged.Certificate, pkcs12);
                try
                {
                    Directory.Move(incoming, directory);
                    created = true;
                }
                catch (IOException) when (Directory.Exists(directory))
                {
                    // Another node of this user made it first: use theirs.
                }
            }
            finally
            {
                if (Directory.Exists(incoming)) Directory.Delete(incoming, recursive: true);
            }
        }
        Check(directory, isDirectory: true);
        Check(files.Certificate, isDirectory: false);
        Check(files.PasswordFile, isDirectory: false);
        return (files.Certificate, files.PasswordFile, created);
    }

    private static void WriteOwnerOnly(string path, byte[] content)
    {
        using var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        stream.Write(content);
    }

    /// <summary>Refuses a place of the key that is not this user's alone.</summary>
    private static void Check(string path, bool isDirectory)
    {
        if (isDirectory ? !Directory.Exists(path) : !File.Exists(path))
            throw new ConfigurationException($"the cluster certificate's {(isDirectory ? "directory" : "file")} {path} is missing: remove {Path.GetDirectoryName(isDirectory ? path + "/" : path)} and start the node again to make a new one (every node of this user then needs a restart)");
        if (Native.OwnerAndMode(path) is not var (owner, mode))
            throw new ConfigurationException($"cannot read the owner of {path}");
        if ((mode & 0xF000) != (isDirectory ? 0x4000u : 0x8000u))
            throw new ConfigurationException($"{path} holds the cluster's key but is not a plain {(isDirectory ? "directory" : "file")} (a symbolic link?): remove it to make a new key");
        if ((mode & 0b111_111) != 0 || owner != Native.EffectiveUserId())
            throw new ConfigurationException($"{path} holds the cluster's key but {(owner != Native.EffectiveUserId() ? $"belongs to uid {owner}" : "others may use it")}: "
                + $"it must be this user's alone (chown {Native.EffectiveUserId()} and chmod {(isDirectory ? "700" : "600")} it, or remove the directory to make a new key)");
    }
}
