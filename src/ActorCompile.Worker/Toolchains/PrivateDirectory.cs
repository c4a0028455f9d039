namespace ActorCompile.Worker.Toolchains;

/// <summary>Directories of the worker that no other user may enter (mode 0700).</summary>
public static class PrivateDirectory
{
    public static void Create(string path)
    {
        var info = Directory.CreateDirectory(path);
        info.UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    }
}
