using System.IO.MemoryMappedFiles;

namespace WebUI.Engine.Loading;

/// <summary>A whole file mapped read-only, with a pointer to its first byte; the weight file readers share it.</summary>
internal sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;

    public byte* Start { get; }
    public long Length { get; }

    /// <summary>Maps the file <paramref name="stream"/> is open on and takes ownership of the stream.</summary>
    public MappedFile(FileStream stream)
    {
        Length = stream.Length;
        _map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        Start = pointer + _view.PointerOffset;
    }

    /// <summary>Opens for reading while letting a writer atomically replace the file (FileShare.Delete).</summary>
    public static FileStream OpenShared(string path) => new(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
