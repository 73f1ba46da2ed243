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

    /// <summary>
    /// Tells the kernel this process is done with a range it has read (madvise MADV_DONTNEED): the pages leave this
    /// process's resident set (they stay in the page cache), so loading a model does not hold the file and its
    /// converted weights in memory at once. A later read faults them back in. A no-op off Linux or on failure.
    /// </summary>
    public void DoneWith(long offset, long length)
    {
        if (!OperatingSystem.IsLinux() || length <= 0) return;
        const long page = 4096;
        long start = offset / page * page, end = Math.Min(Length, offset + length);
        try { _ = madvise(Start + start, (nuint)(end - start), 4 /* MADV_DONTNEED */); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int madvise(byte* address, nuint length, int advice);

    /// <summary>Opens for reading while letting a writer atomically replace the file (FileShare.Delete).</summary>
    public static FileStream OpenShared(string path) => new(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
