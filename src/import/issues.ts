// How an importer reports a file it cannot read: the file, the place and what was expected.

/** Where and why a file could not be read: the file, the place (line or JSON path), what was expected. */
export interface ImportIssue {
  file: string;
  where: string;
  message: string;
}

export class ImportError extends Error {
  constructor(readonly issue: ImportIssue) {
    super(`${issue.file} (${issue.where}): ${issue.message}`);
    this.name = 'ImportError';
  }
}
