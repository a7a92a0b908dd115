//! The calculator's arithmetic: a tokenizer and a recursive-descent evaluator, no `eval`.
//!
//! Grammar (lowest precedence first):
//! ```text
//! expr    := term (('+' | '-') term)*
//! term    := unary (('*' | '/' | '%') unary)*
//! unary   := ('-' | '+') unary | power
//! power   := primary ('^' unary)?          right-associative: 2^3^2 = 2^9; -2^2 = -4
//! primary := number | constant | name '(' expr (',' expr)* ')' | '(' expr ')'
//! ```
//! `×`, `·`, `÷`, `−` and `**` are accepted as spellings of `*`, `/`, `-` and `^`.
//! Every failure is an [`ExprError`] that names the problem and, where it has one, its position:
//! division by zero, overflow past f64's range, NaN-producing domain errors, unknown names,
//! nesting deeper than [`MAX_DEPTH`], input longer than the caller's limit. Evaluation is
//! O(input length), so no input can hang it.

use std::fmt;

/// Deepest nesting of parentheses, unary signs and exponents.
pub const MAX_DEPTH: usize = 64;

/// Why an expression has no value.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprError {
    /// Empty or whitespace-only input.
    Empty,
    /// Longer than the configured limit.
    TooLong {
        /// Characters given.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep {
        /// Position (character index) where the limit was hit.
        at: usize,
    },
    /// A syntax error.
    Syntax {
        /// Position (character index).
        at: usize,
        /// What was expected or found.
        message: String,
    },
    /// A name that is neither a function nor a constant.
    UnknownName {
        /// The name.
        name: String,
        /// Position.
        at: usize,
    },
    /// A function called with the wrong number of arguments.
    Arity {
        /// The function.
        name: &'static str,
        /// What it accepts.
        expected: &'static str,
        /// What it got.
        got: usize,
    },
    /// Division or remainder by zero.
    DivisionByZero {
        /// `division` or `remainder`.
        op: &'static str,
    },
    /// A result beyond f64's range.
    Overflow {
        /// The operation that overflowed.
        op: String,
    },
    /// An argument outside a function's domain (would be NaN).
    Domain {
        /// The function or operator.
        op: String,
        /// Why.
        reason: String,
    },
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "the expression is empty"),
            Self::TooLong { len, max } => write!(
                f,
                "the expression is {len} characters long; the limit is {max}"
            ),
            Self::TooDeep { at } => write!(
                f,
                "the expression nests deeper than {MAX_DEPTH} levels (at position {at})"
            ),
            Self::Syntax { at, message } => write!(f, "syntax error at position {at}: {message}"),
            Self::UnknownName { name, at } => write!(
                f,
                "unknown name '{name}' at position {at}; functions: {}; constants: pi, e, tau",
                FUNCTIONS
                    .iter()
                    .map(|f| f.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Self::Arity {
                name,
                expected,
                got,
            } => write!(f, "{name} takes {expected}, got {got}"),
            Self::DivisionByZero { op } => write!(f, "{op} by zero"),
            Self::Overflow { op } => write!(
                f,
                "overflow: {op} exceeds the largest representable number (about 1.8e308)"
            ),
            Self::Domain { op, reason } => write!(f, "{op} is undefined here: {reason}"),
        }
    }
}

impl std::error::Error for ExprError {}

/// Evaluate `input`, refusing inputs longer than `max_chars`.
pub fn evaluate(input: &str, max_chars: usize) -> Result<f64, ExprError> {
    let len = input.chars().count();
    if len > max_chars {
        return Err(ExprError::TooLong {
            len,
            max: max_chars,
        });
    }
    let tokens = tokenize(input)?;
    if tokens.is_empty() {
        return Err(ExprError::Empty);
    }
    let mut p = Parser {
        tokens,
        pos: 0,
        depth: 0,
        end: len,
    };
    let value = p.expr()?;
    match p.peek() {
        None => Ok(value),
        Some(t) => Err(ExprError::Syntax {
            at: t.at,
            message: format!("unexpected {} after a complete expression", t.kind),
        }),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Num(f64),
    Name(String),
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Caret,
    LParen,
    RParen,
    Comma,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Num(n) => write!(f, "number {n}"),
            Self::Name(n) => write!(f, "name '{n}'"),
            Self::Plus => write!(f, "'+'"),
            Self::Minus => write!(f, "'-'"),
            Self::Star => write!(f, "'*'"),
            Self::Slash => write!(f, "'/'"),
            Self::Percent => write!(f, "'%'"),
            Self::Caret => write!(f, "'^'"),
            Self::LParen => write!(f, "'('"),
            Self::RParen => write!(f, "')'"),
            Self::Comma => write!(f, "','"),
        }
    }
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    at: usize,
}

fn tokenize(input: &str) -> Result<Vec<Token>, ExprError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at = i;
        let kind = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '0'..='9' | '.' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_ascii_digit() || chars[i] == '.' || chars[i] == '_')
                {
                    i += 1;
                }
                // Scientific notation: 1e3, 2.5E-4 (but `2e` alone is an error, not 2·e).
                if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                    let mut j = i + 1;
                    if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                        j += 1;
                    }
                    if j < chars.len() && chars[j].is_ascii_digit() {
                        while j < chars.len() && chars[j].is_ascii_digit() {
                            j += 1;
                        }
                        i = j;
                    }
                }
                let text: String = chars[start..i].iter().filter(|c| **c != '_').collect();
                let n: f64 = text.parse().map_err(|_| ExprError::Syntax {
                    at,
                    message: format!(
                        "'{}' is not a number",
                        chars[start..i].iter().collect::<String>()
                    ),
                })?;
                if !n.is_finite() {
                    return Err(ExprError::Overflow {
                        op: format!("the literal {text}"),
                    });
                }
                out.push(Token {
                    kind: Kind::Num(n),
                    at,
                });
                continue;
            }
            c if c.is_alphabetic() || c == '_' || c == 'π' || c == 'τ' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                out.push(Token {
                    kind: Kind::Name(chars[start..i].iter().collect::<String>().to_lowercase()),
                    at,
                });
                continue;
            }
            '+' => Kind::Plus,
            '-' | '−' => Kind::Minus,
            '*' if chars.get(i + 1) == Some(&'*') => {
                i += 1;
                Kind::Caret
            }
            '*' | '×' | '·' => Kind::Star,
            '/' | '÷' => Kind::Slash,
            '%' => Kind::Percent,
            '^' => Kind::Caret,
            '(' => Kind::LParen,
            ')' => Kind::RParen,
            ',' => Kind::Comma,
            other => {
                return Err(ExprError::Syntax {
                    at,
                    message: format!("unexpected character '{other}'"),
                });
            }
        };
        i += 1;
        out.push(Token { kind, at });
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    end: usize,
}

fn finite(v: f64, op: impl FnOnce() -> String) -> Result<f64, ExprError> {
    if v.is_infinite() {
        Err(ExprError::Overflow { op: op() })
    } else if v.is_nan() {
        Err(ExprError::Domain {
            op: op(),
            reason: "the result is not a number".to_owned(),
        })
    } else {
        Ok(v)
    }
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn at(&self) -> usize {
        self.peek().map_or(self.end, |t| t.at)
    }

    fn eat(&mut self, kind: &Kind) -> bool {
        if self.peek().is_some_and(|t| &t.kind == kind) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn descend(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ExprError::TooDeep { at: self.at() });
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<f64, ExprError> {
        let mut acc = self.term()?;
        loop {
            if self.eat(&Kind::Plus) {
                let rhs = self.term()?;
                acc = finite(acc + rhs, || format!("{acc} + {rhs}"))?;
            } else if self.eat(&Kind::Minus) {
                let rhs = self.term()?;
                acc = finite(acc - rhs, || format!("{acc} - {rhs}"))?;
            } else {
                return Ok(acc);
            }
        }
    }

    fn term(&mut self) -> Result<f64, ExprError> {
        let mut acc = self.unary()?;
        loop {
            if self.eat(&Kind::Star) {
                let rhs = self.unary()?;
                acc = finite(acc * rhs, || format!("{acc} * {rhs}"))?;
            } else if self.eat(&Kind::Slash) {
                let rhs = self.unary()?;
                if rhs == 0.0 {
                    return Err(ExprError::DivisionByZero { op: "division" });
                }
                acc = finite(acc / rhs, || format!("{acc} / {rhs}"))?;
            } else if self.eat(&Kind::Percent) {
                let rhs = self.unary()?;
                if rhs == 0.0 {
                    return Err(ExprError::DivisionByZero { op: "remainder" });
                }
                // Like Python's %, the result takes the sign of the divisor.
                let r = acc % rhs;
                acc = if r != 0.0 && (r < 0.0) != (rhs < 0.0) {
                    r + rhs
                } else {
                    r
                };
            } else {
                return Ok(acc);
            }
        }
    }

    fn unary(&mut self) -> Result<f64, ExprError> {
        if self.eat(&Kind::Minus) {
            self.descend()?;
            let v = self.unary()?;
            self.depth -= 1;
            return Ok(-v);
        }
        if self.eat(&Kind::Plus) {
            self.descend()?;
            let v = self.unary()?;
            self.depth -= 1;
            return Ok(v);
        }
        self.power()
    }

    fn power(&mut self) -> Result<f64, ExprError> {
        let base = self.primary()?;
        if self.eat(&Kind::Caret) {
            self.descend()?;
            let exp = self.unary()?;
            self.depth -= 1;
            return pow(base, exp);
        }
        Ok(base)
    }

    fn primary(&mut self) -> Result<f64, ExprError> {
        let Some(tok) = self.peek().cloned() else {
            return Err(ExprError::Syntax {
                at: self.end,
                message: "the expression ends where a number was expected".to_owned(),
            });
        };
        self.pos += 1;
        match tok.kind {
            Kind::Num(n) => Ok(n),
            Kind::LParen => {
                self.descend()?;
                let v = self.expr()?;
                self.depth -= 1;
                if !self.eat(&Kind::RParen) {
                    return Err(ExprError::Syntax {
                        at: self.at(),
                        message: format!("missing ')' to close the '(' at position {}", tok.at),
                    });
                }
                Ok(v)
            }
            Kind::Name(name) => {
                if self.peek().is_some_and(|t| t.kind == Kind::LParen) {
                    let open = self.at();
                    self.pos += 1;
                    self.descend()?;
                    let mut args = vec![self.expr()?];
                    while self.eat(&Kind::Comma) {
                        args.push(self.expr()?);
                    }
                    self.depth -= 1;
                    if !self.eat(&Kind::RParen) {
                        return Err(ExprError::Syntax {
                            at: self.at(),
                            message: format!(
                                "missing ')' to close the call to {name} at position {open}"
                            ),
                        });
                    }
                    call(&name, tok.at, &args)
                } else {
                    constant(&name).ok_or(ExprError::UnknownName { name, at: tok.at })
                }
            }
            other => Err(ExprError::Syntax {
                at: tok.at,
                message: format!("expected a number, a name or '(' but found {other}"),
            }),
        }
    }
}

fn pow(base: f64, exp: f64) -> Result<f64, ExprError> {
    if base == 0.0 && exp < 0.0 {
        return Err(ExprError::DivisionByZero { op: "division" });
    }
    if base < 0.0 && exp.fract() != 0.0 {
        return Err(ExprError::Domain {
            op: format!("{base} ^ {exp}"),
            reason: "a negative number to a fractional power is not a real number".to_owned(),
        });
    }
    finite(base.powf(exp), || format!("{base} ^ {exp}"))
}

fn constant(name: &str) -> Option<f64> {
    match name {
        "pi" | "π" => Some(std::f64::consts::PI),
        "e" => Some(std::f64::consts::E),
        "tau" | "τ" => Some(std::f64::consts::TAU),
        _ => None,
    }
}

struct Function {
    name: &'static str,
    /// Accepted argument counts, inclusive.
    arity: (usize, usize),
    expected: &'static str,
}

const ONE: (usize, usize) = (1, 1);
const MANY: (usize, usize) = (1, usize::MAX);

/// Every function the calculator knows.
const FUNCTIONS: &[Function] = &[
    Function {
        name: "abs",
        arity: ONE,
        expected: "1 argument",
    },
    Function {
        name: "round",
        arity: (1, 2),
        expected: "1 or 2 arguments (value, digits)",
    },
    Function {
        name: "floor",
        arity: ONE,
        expected: "1 argument",
    },
    Function {
        name: "ceil",
        arity: ONE,
        expected: "1 argument",
    },
    Function {
        name: "trunc",
        arity: ONE,
        expected: "1 argument",
    },
    Function {
        name: "min",
        arity: MANY,
        expected: "at least 1 argument",
    },
    Function {
        name: "max",
        arity: MANY,
        expected: "at least 1 argument",
    },
    Function {
        name: "sum",
        arity: MANY,
        expected: "at least 1 argument",
    },
    Function {
        name: "avg",
        arity: MANY,
        expected: "at least 1 argument",
    },
    Function {
        name: "pow",
        arity: (2, 2),
        expected: "2 arguments",
    },
    Function {
        name: "sqrt",
        arity: ONE,
        expected: "1 argument",
    },
    Function {
        name: "cbrt",
        arity: ONE,
        expected: "1 argument",
    },
    Function {
        name: "exp",
        arity: ONE,
        expected: "1 argument",
    },
    Function {
        name: "ln",
        arity: ONE,
        expected: "1 argument",
    },
    Function {
        name: "log",
        arity: (1, 2),
        expected: "1 or 2 arguments (value, base)",
    },
    Function {
        name: "log10",
        arity: ONE,
        expected: "1 argument",
    },
    Function {
        name: "log2",
        arity: ONE,
        expected: "1 argument",
    },
    Function {
        name: "sin",
        arity: ONE,
        expected: "1 argument",
    },
    Function {
        name: "cos",
        arity: ONE,
        expected: "1 argument",
    },
    Function {
        name: "tan",
        arity: ONE,
        expected: "1 argument",
    },
    Function {
        name: "asin",
        arity: ONE,
        expected: "1 argument",
    },
    Function {
        name: "acos",
        arity: ONE,
        expected: "1 argument",
    },
    Function {
        name: "atan",
        arity: ONE,
        expected: "1 argument",
    },
    Function {
        name: "atan2",
        arity: (2, 2),
        expected: "2 arguments (y, x)",
    },
    Function {
        name: "sinh",
        arity: ONE,
        expected: "1 argument",
    },
    Function {
        name: "cosh",
        arity: ONE,
        expected: "1 argument",
    },
    Function {
        name: "tanh",
        arity: ONE,
        expected: "1 argument",
    },
    Function {
        name: "hypot",
        arity: (2, 2),
        expected: "2 arguments",
    },
    Function {
        name: "factorial",
        arity: ONE,
        expected: "1 argument",
    },
];

/// Largest n whose factorial fits in an f64.
const MAX_FACTORIAL: f64 = 170.0;

fn domain(op: &str, reason: &str) -> ExprError {
    ExprError::Domain {
        op: op.to_owned(),
        reason: reason.to_owned(),
    }
}

fn call(name: &str, at: usize, args: &[f64]) -> Result<f64, ExprError> {
    let Some(f) = FUNCTIONS.iter().find(|f| f.name == name) else {
        return Err(ExprError::UnknownName {
            name: name.to_owned(),
            at,
        });
    };
    if args.len() < f.arity.0 || args.len() > f.arity.1 {
        return Err(ExprError::Arity {
            name: f.name,
            expected: f.expected,
            got: args.len(),
        });
    }
    let x = args[0];
    let v = match f.name {
        "abs" => x.abs(),
        "round" => match args.get(1) {
            None => x.round(),
            Some(&d) if d.fract() == 0.0 && (-15.0..=15.0).contains(&d) => {
                let scale = 10f64.powi(d as i32);
                (x * scale).round() / scale
            }
            Some(_) => {
                return Err(domain(
                    "round",
                    "digits must be a whole number between -15 and 15",
                ));
            }
        },
        "floor" => x.floor(),
        "ceil" => x.ceil(),
        "trunc" => x.trunc(),
        "min" => args.iter().copied().fold(f64::INFINITY, f64::min),
        "max" => args.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        "sum" => args.iter().sum(),
        "avg" => args.iter().sum::<f64>() / args.len() as f64,
        "pow" => return pow(x, args[1]),
        "sqrt" if x < 0.0 => {
            return Err(domain(
                "sqrt",
                &format!("the square root of a negative number ({x}) is not real"),
            ));
        }
        "sqrt" => x.sqrt(),
        "cbrt" => x.cbrt(),
        "exp" => x.exp(),
        "ln" | "log" | "log10" | "log2" if x <= 0.0 => {
            return Err(domain(
                f.name,
                &format!("logarithms need a positive argument, got {x}"),
            ));
        }
        "ln" => x.ln(),
        "log" => match args.get(1) {
            None => x.ln(),
            Some(&b) if b > 0.0 && b != 1.0 => x.log(b),
            Some(&b) => {
                return Err(domain(
                    "log",
                    &format!("the base must be positive and not 1, got {b}"),
                ));
            }
        },
        "log10" => x.log10(),
        "log2" => x.log2(),
        "sin" => x.sin(),
        "cos" => x.cos(),
        "tan" => x.tan(),
        "asin" | "acos" if !(-1.0..=1.0).contains(&x) => {
            return Err(domain(
                f.name,
                &format!("the argument must be between -1 and 1, got {x}"),
            ));
        }
        "asin" => x.asin(),
        "acos" => x.acos(),
        "atan" => x.atan(),
        "atan2" => x.atan2(args[1]),
        "sinh" => x.sinh(),
        "cosh" => x.cosh(),
        "tanh" => x.tanh(),
        "hypot" => x.hypot(args[1]),
        "factorial" if x < 0.0 || x.fract() != 0.0 => {
            return Err(domain(
                "factorial",
                &format!("needs a whole number ≥ 0, got {x}"),
            ));
        }
        "factorial" if x > MAX_FACTORIAL => {
            return Err(ExprError::Overflow {
                op: format!("factorial({x})"),
            });
        }
        "factorial" => (1..=x as u32).map(f64::from).product(),
        _ => {
            return Err(ExprError::UnknownName {
                name: name.to_owned(),
                at,
            });
        }
    };
    finite(v, || {
        format!(
            "{name}({})",
            args.iter()
                .map(f64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// Render a result for people: integers without a fraction, otherwise at most 15 significant
/// digits (so 0.1 + 0.2 reads 0.3), exponent notation for very large or small magnitudes.
pub fn format_number(v: f64) -> String {
    if v == 0.0 {
        return "0".to_owned();
    }
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    let magnitude = v.abs().log10().floor();
    if !(-6.0..15.0).contains(&magnitude) {
        let s = format!("{v:.14e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        return format!("{mantissa}e{exp}");
    }
    let decimals = (14.0 - magnitude).clamp(0.0, 20.0) as usize;
    let s = format!("{v:.decimals$}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(s: &str) -> Result<f64, ExprError> {
        evaluate(s, 4096)
    }

    #[test]
    fn precedence_and_associativity() {
        assert_eq!(eval("1 + 2 * 3").unwrap(), 7.0);
        assert_eq!(eval("(1 + 2) * 3").unwrap(), 9.0);
        assert_eq!(eval("2 ^ 3 ^ 2").unwrap(), 512.0);
        assert_eq!(eval("-2 ^ 2").unwrap(), -4.0);
        assert_eq!(eval("2 ^ -1").unwrap(), 0.5);
        assert_eq!(eval("10 - 4 - 3").unwrap(), 3.0);
        assert_eq!(eval("100 / 10 / 5").unwrap(), 2.0);
        assert_eq!(eval("--3").unwrap(), 3.0);
        assert_eq!(eval("7 % 3").unwrap(), 1.0);
        assert_eq!(eval("-7 % 3").unwrap(), 2.0);
        assert_eq!(eval("2 ** 10").unwrap(), 1024.0);
    }

    #[test]
    fn unicode_operators() {
        assert_eq!(eval("6 × 7").unwrap(), 42.0);
        assert_eq!(eval("84 ÷ 2").unwrap(), 42.0);
        assert_eq!(eval("50 − 8").unwrap(), 42.0);
        assert_eq!(eval("2·π").unwrap(), std::f64::consts::TAU);
    }

    #[test]
    fn functions_and_constants() {
        assert_eq!(eval("sqrt(16) + abs(-2)").unwrap(), 6.0);
        assert_eq!(eval("max(1, 5, 3) - min(4, 2)").unwrap(), 3.0);
        assert_eq!(eval("sum(1,2,3,4)").unwrap(), 10.0);
        assert_eq!(eval("round(2.5)").unwrap(), 3.0);
        assert_eq!(eval("round(2.71828, 2)").unwrap(), 2.72);
        assert_eq!(eval("log(8, 2)").unwrap(), 3.0);
        assert_eq!(eval("log10(1000)").unwrap(), 3.0);
        assert_eq!(eval("factorial(5)").unwrap(), 120.0);
        assert!((eval("sin(pi / 2)").unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(eval("1e3 + 2.5E-1").unwrap(), 1000.25);
        assert_eq!(eval("1_000_000 / 1e6").unwrap(), 1.0);
    }

    #[test]
    fn division_by_zero_is_named() {
        assert_eq!(
            eval("1 / 0"),
            Err(ExprError::DivisionByZero { op: "division" })
        );
        assert_eq!(
            eval("5 % (2 - 2)"),
            Err(ExprError::DivisionByZero { op: "remainder" })
        );
        assert_eq!(
            eval("0 ^ -1"),
            Err(ExprError::DivisionByZero { op: "division" })
        );
    }

    #[test]
    fn overflow_and_absurd_exponents_are_errors_not_infinity() {
        for s in [
            "10 ^ 10 ^ 10",
            "9 ^ 999",
            "1e308 * 10",
            "factorial(171)",
            "exp(1000)",
            "1e999",
        ] {
            assert!(
                matches!(eval(s), Err(ExprError::Overflow { .. })),
                "{s}: {:?}",
                eval(s)
            );
        }
        assert_eq!(eval("2 ^ -100000").unwrap(), 0.0);
    }

    #[test]
    fn domain_errors_instead_of_nan() {
        for s in [
            "sqrt(-1)",
            "log(0)",
            "ln(-3)",
            "asin(2)",
            "(-8) ^ 0.5",
            "factorial(2.5)",
            "log(8, 1)",
        ] {
            let err = eval(s).unwrap_err();
            assert!(matches!(err, ExprError::Domain { .. }), "{s}: {err:?}");
        }
    }

    #[test]
    fn syntax_errors_name_the_position() {
        assert_eq!(eval("   "), Err(ExprError::Empty));
        let err = eval("2 + $").unwrap_err();
        assert_eq!(
            err.to_string(),
            "syntax error at position 4: unexpected character '$'"
        );
        assert!(
            eval("(1 + 2")
                .unwrap_err()
                .to_string()
                .contains("missing ')'")
        );
        assert!(
            eval("1 +")
                .unwrap_err()
                .to_string()
                .contains("ends where a number was expected")
        );
        assert!(
            eval("2 3")
                .unwrap_err()
                .to_string()
                .contains("after a complete expression")
        );
        assert!(eval("1..2").is_err());
        assert!(eval("* 3").is_err());
    }

    #[test]
    fn unknown_names_and_arity() {
        assert!(matches!(eval("foo(1)"), Err(ExprError::UnknownName { .. })));
        assert!(matches!(eval("x + 1"), Err(ExprError::UnknownName { .. })));
        assert!(matches!(
            eval("__import__(os)"),
            Err(ExprError::UnknownName { .. })
        ));
        assert!(matches!(
            eval("__import__('os')"),
            Err(ExprError::Syntax { at: 11, .. })
        ));
        assert_eq!(
            eval("sqrt(1, 2)").unwrap_err().to_string(),
            "sqrt takes 1 argument, got 2"
        );
    }

    #[test]
    fn deep_nesting_and_long_input_are_refused() {
        let deep = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(matches!(
            evaluate(&deep, 1_000_000),
            Err(ExprError::TooDeep { .. })
        ));
        let minus = format!("{}1", "-".repeat(10_000));
        assert!(matches!(
            evaluate(&minus, 1_000_000),
            Err(ExprError::TooDeep { .. })
        ));
        let pow = format!("2{}", "^2".repeat(10_000));
        assert!(matches!(
            evaluate(&pow, 1_000_000),
            Err(ExprError::TooDeep { .. })
        ));
        assert_eq!(
            eval(&"1+".repeat(3000)),
            Err(ExprError::TooLong {
                len: 6000,
                max: 4096
            })
        );
        // Long but flat input is fine.
        assert_eq!(
            evaluate("1+".repeat(2000).trim_end_matches('+'), 4096).unwrap(),
            2000.0
        );
    }

    #[test]
    fn numbers_render_for_people() {
        assert_eq!(format_number(eval("0.1 + 0.2").unwrap()), "0.3");
        assert_eq!(format_number(8.0), "8");
        assert_eq!(format_number(-2.5), "-2.5");
        assert_eq!(format_number(1.0 / 3.0), "0.333333333333333");
        assert_eq!(format_number(6.02e23), "6.02e23");
        assert_eq!(format_number(1.5e-9), "1.5e-9");
        assert_eq!(format_number(0.0), "0");
    }
}
