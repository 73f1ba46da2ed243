using WebUI.Engine.Loading;

namespace WebUI.Engine.Adapters;

/// <summary>What <see cref="AtomicFolder.Write"/> does with a folder already at the destination (an empty one counts as none).</summary>
internal enum ExistingFolder
{
    /// <summary>An <see cref="IOException"/>; nothing is written.</summary>
    Refuse,
    /// <summary>Renamed to NAME.backup-yyyyMMdd-HHmmss, kept.</summary>
    KeepAsBackup,
    /// <summary>Renamed aside to NAME.tmp-old-* and deleted once the new one is in place (a kill -9 between the two
    /// renames leaves it for <see cref="WebUI.Engine.Training.TrainingCheckpoints.RecoverAndClean"/>).</summary>
    Discard,
}

/// <summary>
/// Writes a whole folder so that it appears complete or not at all: it is built beside its destination and renamed
/// into place (rename over, never delete-then-move), so a failure midway leaves whatever was there before exactly as it was.
/// The one stage-and-rename helper: adapters, models, full fine-tuning outputs and checkpoints all go through it.
/// </summary>
internal static class AtomicFolder
{
    /// <summary>What a save with (or without) its Overwrite option does with an existing folder.</summary>
    public static ExistingFolder OnExisting(bool overwrite) => overwrite ? ExistingFolder.KeepAsBackup : ExistingFolder.Refuse;

    /// <summary>Calls <paramref name="writeInto"/> with an empty staging folder, then moves that to <paramref name="folder"/>.</summary>
    public static void Write(string folder, ExistingFolder existing, Action<string> writeInto)
    {
        folder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        if (File.Exists(folder)) throw new IOException($"'{folder}' is a file, not a folder");
        if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder); // nothing to keep
        bool replacing = Directory.Exists(folder);
        if (replacing && existing == ExistingFolder.Refuse)
            throw new IOException($"'{folder}' already exists; choose another name, or overwrite where that is offered (the old one is kept as a backup)");

        var parent = Path.GetDirectoryName(folder)!;
        Directory.CreateDirectory(parent);
        // Hidden (leading dot) so listings of the parent, such as the app's adapter list, never show a half-written folder.
        var staging = Path.Combine(parent, $".{Path.GetFileName(folder)}.saving-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            writeInto(staging);
            StagingNames.SyncDirectory(staging);
            if (!replacing)
            {
                Directory.Move(staging, folder);
                StagingNames.SyncDirectory(parent);
                return;
            }
            var aside = existing == ExistingFolder.KeepAsBackup ? AtomicFile.BackupPathFor(folder) : $"{folder}.tmp-old-{Guid.NewGuid():N}";
            Directory.Move(folder, aside);
            try { Directory.Move(staging, folder); }
            catch
            {
                Directory.Move(aside, folder);
                throw;
            }
            StagingNames.SyncDirectory(parent);
            if (existing == ExistingFolder.Discard)
                try { Directory.Delete(aside, recursive: true); } catch (IOException) { } // a leftover is cleaned at the next start
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }
}
