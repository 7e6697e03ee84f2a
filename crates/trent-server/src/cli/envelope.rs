//! `trent encrypt` and `trent decrypt`: files and streams in the AWS Encryption SDK's message
//! format, under KMS keys of a running Trent. An output file appears only once the whole
//! message has been processed (written under a temporary name, then renamed); on any failure
//! no file is left behind. On stdout, plaintext flows frame by frame as each frame verifies.

use crate::failure::Failure;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use trent_esdk::{Decryptor, EncryptionContext, Encryptor, Suite};

use crate::cli::admin_client::AdminCall;
use crate::cli::esdk_keyring::{Discovery, KmsKeyring};

/// Where a command reads or writes: a file, or `-` for stdin/stdout.
#[derive(Clone, Debug)]
pub enum Place {
    Std,
    File(PathBuf),
}

impl Place {
    pub fn parse(text: &str) -> Place {
        if text == "-" {
            Place::Std
        } else {
            Place::File(PathBuf::from(text))
        }
    }
}

/// `k=v` pairs into an encryption context.
pub fn context(pairs: &[String]) -> Result<EncryptionContext, Failure> {
    pairs
        .iter()
        .map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .ok_or_else(|| Failure::Config(format!("'{p}' is not key=value")))
        })
        .collect()
}

/// A file written under a temporary name in its final directory, renamed into place by
/// `commit`, removed if dropped before.
struct Pending {
    tmp: PathBuf,
    target: PathBuf,
    file: Option<std::io::BufWriter<std::fs::File>>,
    /// Set once the rename succeeded; until then, dropping removes the temporary file.
    committed: bool,
}

impl Pending {
    fn create(target: &Path) -> Result<Pending, Failure> {
        let dir = target
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or_else(|| Path::new("."));
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut random = [0u8; 6];
        aws_lc_rs::rand::fill(&mut random).map_err(|_| Failure::Io("randomness".to_owned()))?;
        let tmp = dir.join(format!(
            ".{name}.trent-{}",
            random
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        ));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let file = options
            .open(&tmp)
            .map_err(|e| Failure::Io(format!("cannot create {}: {e}", tmp.display())))?;
        Ok(Pending {
            tmp,
            target: target.to_owned(),
            file: Some(std::io::BufWriter::new(file)),
            committed: false,
        })
    }

    fn commit(mut self) -> Result<(), Failure> {
        if let Some(file) = self.file.take() {
            let file = file.into_inner().map_err(|e| Failure::Io(e.to_string()))?;
            file.sync_all().map_err(|e| Failure::Io(e.to_string()))?;
        }
        std::fs::rename(&self.tmp, &self.target)
            .map_err(|e| Failure::Io(format!("cannot write {}: {e}", self.target.display())))?;
        self.committed = true;
        if let Some(dir) = self.target.parent()
            && let Ok(d) = std::fs::File::open(if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            })
        {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

impl Write for Pending {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.file {
            Some(f) => f.write(buf),
            None => Err(std::io::Error::other("closed")),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.file {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.committed {
            drop(self.file.take());
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Opens the input; on a terminal, with a progress bar of the bytes read (hidden otherwise,
/// and drawn on stderr, never on stdout, which may carry the output).
fn open_input(place: &Place) -> Result<Box<dyn Read>, Failure> {
    use std::io::IsTerminal as _;
    let (reader, size): (Box<dyn Read>, Option<u64>) = match place {
        Place::Std => (Box::new(std::io::stdin().lock()), None),
        Place::File(path) => {
            let file = std::fs::File::open(path)
                .map_err(|e| Failure::Io(format!("cannot open {}: {e}", path.display())))?;
            let size = file.metadata().ok().map(|m| m.len());
            (
                Box::new(std::io::BufReader::with_capacity(1 << 16, file)),
                size,
            )
        }
    };
    if !std::io::stderr().is_terminal() {
        return Ok(reader);
    }
    let bar = match size {
        Some(len) => indicatif::ProgressBar::new(len),
        None => indicatif::ProgressBar::new_spinner(),
    };
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} {eta}",
    ) {
        bar.set_style(style);
    }
    Ok(Box::new(bar.wrap_read(reader)))
}

/// Runs `work` writing to `output`: a pending file committed only on success, or stdout.
fn with_output(
    output: &Place,
    work: impl FnOnce(&mut dyn Write) -> Result<(), Failure>,
) -> Result<(), Failure> {
    match output {
        Place::Std => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            work(&mut out)?;
            out.flush().map_err(|e| Failure::Io(e.to_string()))
        }
        Place::File(path) => {
            let mut pending = Pending::create(path)?;
            work(&mut pending)?;
            pending.commit()
        }
    }
}

/// What `trent encrypt` was asked.
#[derive(Debug)]
pub struct EncryptRequest {
    pub keys: Vec<String>,
    pub context: EncryptionContext,
    pub suite: Suite,
    pub frame_length: u32,
    pub input: Place,
    pub output: Place,
}

/// What `trent decrypt` was asked.
#[derive(Debug)]
pub struct DecryptRequest {
    pub discovery: Discovery,
    pub context: EncryptionContext,
    pub require_signed: bool,
    pub input: Place,
    pub output: Place,
}

/// Encrypts on a blocking thread (the keyring's KMS calls block on the runtime).
pub async fn encrypt(call: AdminCall, request: EncryptRequest) -> Result<u64, Failure> {
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let mut keyring = KmsKeyring {
            call,
            keys: request.keys,
            discovery: Discovery::Any,
            runtime,
        };
        let mut encryptor = Encryptor::new(request.suite, request.context);
        encryptor.frame_length = request.frame_length;
        let mut input = open_input(&request.input)?;
        let mut total = 0;
        with_output(&request.output, |out| {
            total = encryptor
                .encrypt(&mut keyring, &mut input, out)
                .map_err(|e| Failure::Io(e.to_string()))?;
            Ok(())
        })?;
        Ok(total)
    })
    .await
    .map_err(|e| Failure::Io(e.to_string()))?
}

/// Decrypts on a blocking thread; returns the message's suite.
pub async fn decrypt(call: AdminCall, request: DecryptRequest) -> Result<Suite, Failure> {
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let mut keyring = KmsKeyring {
            call,
            keys: Vec::new(),
            discovery: request.discovery,
            runtime,
        };
        let decryptor = Decryptor {
            require_signed: request.require_signed,
            required_context: request.context,
        };
        let mut input = open_input(&request.input)?;
        let mut suite = Suite::Committing;
        with_output(&request.output, |out| {
            suite = decryptor
                .decrypt(&mut keyring, &mut input, out)
                .map_err(|e| Failure::Io(e.to_string()))?
                .suite;
            Ok(())
        })?;
        Ok(suite)
    })
    .await
    .map_err(|e| Failure::Io(e.to_string()))?
}
