//! A byte stream read ahead on a thread of its own, so that the system calls, the copies out of
//! the page cache and gzip's inflation of the next megabytes overlap the parsing of the current
//! ones instead of stalling every core between blocks. The thread stops at the end of the stream,
//! at an error (handed on to the reader), or when the reader is dropped.

use std::io::{self, Read};
use std::sync::mpsc::{sync_channel, Receiver};

/// Bytes read per message.
const CHUNK: usize = 4 << 20;
/// Messages in flight: the reader thread runs at most this far ahead.
const AHEAD: usize = 2;

/// A [`Read`] whose source is read by a background thread.
pub(crate) struct ReadAhead {
    chunks: Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    at: usize,
    done: bool,
}

impl ReadAhead {
    pub fn new(mut source: impl Read + Send + 'static) -> ReadAhead {
        let (send, chunks) = sync_channel(AHEAD);
        std::thread::spawn(move || loop {
            let mut chunk = Vec::with_capacity(CHUNK);
            match (&mut source).take(CHUNK as u64).read_to_end(&mut chunk) {
                // An empty chunk is the end of the stream.
                Ok(n) => {
                    if send.send(Ok(chunk)).is_err() || n == 0 {
                        return;
                    }
                }
                Err(e) => {
                    let _ = send.send(Err(e));
                    return;
                }
            }
        });
        ReadAhead { chunks, chunk: Vec::new(), at: 0, done: false }
    }
}

impl Read for ReadAhead {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at == self.chunk.len() {
            if self.done || out.is_empty() {
                return Ok(0);
            }
            match self.chunks.recv() {
                Ok(Ok(chunk)) => {
                    self.done = chunk.is_empty();
                    (self.chunk, self.at) = (chunk, 0);
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => {
                    self.done = true;
                    return Err(io::Error::other("the thread reading the file stopped"));
                }
            }
        }
        let n = out.len().min(self.chunk.len() - self.at);
        out[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_stream_whole_in_any_read_size() {
        let data: Vec<u8> = (0..(CHUNK * 2 + 12345)).map(|i| (i * 7 % 251) as u8).collect();
        for size in [1, 4096, CHUNK + 3] {
            let mut reader = ReadAhead::new(io::Cursor::new(data.clone()));
            let mut got = Vec::new();
            let mut buf = vec![0; size];
            loop {
                let n = reader.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
            }
            assert_eq!(got.len(), data.len(), "read size {size}");
            assert!(got == data, "read size {size}");
        }
    }

    #[test]
    fn an_error_of_the_source_reaches_the_reader() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk on fire"))
            }
        }
        let mut reader = ReadAhead::new(Failing);
        let err = reader.read(&mut [0; 8]).unwrap_err();
        assert!(err.to_string().contains("disk on fire"));
    }
}
