//! A digest of an R object (the bridge input), so that a saved chain is continued only with the model and
//! data it was saved with: every number, string, logical, dimension and list name, recursively, mixed
//! word by word into two 64-bit lanes. It detects changes; it is not a cryptographic hash. Functions are
//! skipped (R replaces them by their text first).

use extendr_api::prelude::*;

struct Digest {
    a: u64,
    b: u64,
}

impl Digest {
    fn word(&mut self, w: u64) {
        self.a = (self.a ^ w).wrapping_mul(0x0000_0100_0000_01b3);
        self.a ^= self.a >> 29;
        self.b = (self.b ^ w.rotate_left(17)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.b ^= self.b >> 31;
    }

    fn bytes(&mut self, x: &[u8]) {
        self.word(x.len() as u64);
        for c in x.chunks(8) {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            self.word(u64::from_le_bytes(w));
        }
    }

    fn walk(&mut self, r: &Robj) {
        if let Some(d) = r.dim() {
            self.word(0xd1);
            for x in d.iter() {
                self.word(Option::<i32>::from(x).unwrap_or(-1) as u64);
            }
        }
        match r.rtype() {
            Rtype::Null => self.word(1),
            Rtype::Doubles => {
                self.word(2);
                let v = r.as_real_slice().unwrap_or(&[]);
                self.word(v.len() as u64);
                v.iter().for_each(|x| self.word(x.to_bits()));
            }
            Rtype::Integers => {
                self.word(3);
                let v = r.as_integer_slice().unwrap_or(&[]);
                self.word(v.len() as u64);
                v.iter().for_each(|&x| self.word(x as u32 as u64));
            }
            Rtype::Logicals => {
                self.word(4);
                let v = r.as_logical_slice().unwrap_or(&[]);
                self.word(v.len() as u64);
                v.iter().for_each(|x| self.word(if x.is_true() { 1 } else if x.is_false() { 0 } else { 2 }));
            }
            Rtype::Strings => {
                self.word(5);
                let v = r.as_str_vector().unwrap_or_default();
                self.word(v.len() as u64);
                v.iter().for_each(|s| self.bytes(s.as_bytes()));
            }
            Rtype::Raw => {
                self.word(6);
                self.bytes(r.as_raw_slice().unwrap_or(&[]));
            }
            Rtype::List => {
                self.word(7);
                let l = r.as_list().unwrap_or_default();
                self.word(l.len() as u64);
                for (name, v) in l.iter() {
                    self.bytes(name.as_bytes());
                    self.walk(&v);
                }
            }
            _ => self.word(8),
        }
    }
}

/// 32 hexadecimal digits naming `x`.
pub fn fingerprint(x: &Robj) -> String {
    let mut d = Digest { a: 0xcbf2_9ce4_8422_2325, b: 0x6a09_e667_f3bc_c909 };
    d.walk(x);
    format!("{:016x}{:016x}", d.a, d.b)
}
