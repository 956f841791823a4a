//! The grammar of a law formula and its parser (recursive descent) into postfix operations.
//!
//! ```text
//! expr    = cmp
//! cmp     = sum [("<" | "<=" | ">" | ">=") sum]
//! sum     = product {("+" | "-") product}
//! product = unary {("*" | "/") unary}
//! unary   = "-" unary | power
//! power   = atom ["^" unary]                 (right-associative: 2^3^2 = 2^9)
//! atom    = number | name | name "(" expr {"," expr} ")" | "(" expr ")"
//! ```
//!
//! Functions: ln, log10, exp, sqrt, abs (one argument), min, max (two), clip(v, lo, hi),
//! if(condition, then, else) (a condition is true where it is not 0; comparisons give 1 or 0).

use super::ops::{Function, Op};

/// A formula that does not parse: what was expected, and the column (1-based, in characters).
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub column: usize,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(f64),
    Name(String),
    Symbol(&'static str),
    End,
}

/// Splits `source` into tokens with their columns.
fn tokens(source: &str) -> Result<Vec<(Token, usize)>, ParseError> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                let mut j = i + 1;
                if j < chars.len() && (chars[j] == '+' || chars[j] == '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    i = j;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let text: String = chars[start..i].iter().collect();
            let value = text.parse::<f64>().map_err(|_| ParseError {
                column,
                message: format!("a number, found `{text}`"),
            })?;
            out.push((Token::Number(value), column));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push((Token::Name(chars[start..i].iter().collect()), column));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let symbol = match two.as_str() {
                "<=" => Some("<="),
                ">=" => Some(">="),
                _ => None,
            };
            let symbol = symbol.or(match c {
                '+' => Some("+"),
                '-' => Some("-"),
                '*' => Some("*"),
                '/' => Some("/"),
                '^' => Some("^"),
                '(' => Some("("),
                ')' => Some(")"),
                ',' => Some(","),
                '<' => Some("<"),
                '>' => Some(">"),
                _ => None,
            });
            let Some(s) = symbol else {
                return Err(ParseError {
                    column,
                    message: format!("a number, a name, an operator or a parenthesis, found `{c}`"),
                });
            };
            i += s.len();
            out.push((Token::Symbol(s), column));
        }
    }
    out.push((Token::End, chars.len() + 1));
    Ok(out)
}

/// The parser's state: the tokens, the position, the variables allowed, the output.
struct Parser<'a> {
    tokens: Vec<(Token, usize)>,
    at: usize,
    variables: &'a [&'a str],
    ops: Vec<Op>,
}

/// Parses `source` over `variables` (their index in the list is their input slot).
pub fn parse(source: &str, variables: &[&str]) -> Result<Vec<Op>, ParseError> {
    let mut p = Parser {
        tokens: tokens(source)?,
        at: 0,
        variables,
        ops: Vec::new(),
    };
    if p.peek() == &Token::End {
        return Err(p.error("a formula"));
    }
    p.expr()?;
    if p.peek() != &Token::End {
        return Err(p.error("an operator or the end of the formula"));
    }
    Ok(p.ops)
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.tokens[self.at].0
    }

    fn error(&self, expected: &str) -> ParseError {
        let (token, column) = &self.tokens[self.at];
        let found = match token {
            Token::Number(v) => format!("the number {v}"),
            Token::Name(n) => format!("`{n}`"),
            Token::Symbol(s) => format!("`{s}`"),
            Token::End => "the end".to_string(),
        };
        ParseError {
            column: *column,
            message: format!("{expected}, found {found}"),
        }
    }

    fn eat(&mut self, symbol: &str) -> bool {
        let here = matches!(self.peek(), Token::Symbol(s) if *s == symbol);
        if here {
            self.at += 1;
        }
        here
    }

    fn expr(&mut self) -> Result<(), ParseError> {
        self.sum()?;
        for (symbol, op) in [("<=", Op::Le), (">=", Op::Ge), ("<", Op::Lt), (">", Op::Gt)] {
            if self.eat(symbol) {
                self.sum()?;
                self.ops.push(op);
                break;
            }
        }
        Ok(())
    }

    fn sum(&mut self) -> Result<(), ParseError> {
        self.product()?;
        loop {
            if self.eat("+") {
                self.product()?;
                self.ops.push(Op::Add);
            } else if self.eat("-") {
                self.product()?;
                self.ops.push(Op::Sub);
            } else {
                return Ok(());
            }
        }
    }

    fn product(&mut self) -> Result<(), ParseError> {
        self.unary()?;
        loop {
            if self.eat("*") {
                self.unary()?;
                self.ops.push(Op::Mul);
            } else if self.eat("/") {
                self.unary()?;
                self.ops.push(Op::Div);
            } else {
                return Ok(());
            }
        }
    }

    fn unary(&mut self) -> Result<(), ParseError> {
        if self.eat("-") {
            self.unary()?;
            self.ops.push(Op::Neg);
            Ok(())
        } else {
            self.power()
        }
    }

    fn power(&mut self) -> Result<(), ParseError> {
        self.atom()?;
        if self.eat("^") {
            let start = self.ops.len();
            self.unary()?;
            // A small whole constant exponent multiplies (exact, fast); any other powf.
            match self.ops[start..] {
                [Op::Const(e)] if e.fract() == 0.0 && (0.0..=8.0).contains(&e) => {
                    self.ops.truncate(start);
                    self.ops.push(Op::PowInt(e as u32));
                }
                _ => self.ops.push(Op::Pow),
            }
        }
        Ok(())
    }

    fn atom(&mut self) -> Result<(), ParseError> {
        match self.peek().clone() {
            Token::Number(v) => {
                self.at += 1;
                self.ops.push(Op::Const(v));
                Ok(())
            }
            Token::Symbol("(") => {
                self.at += 1;
                self.expr()?;
                if !self.eat(")") {
                    return Err(self.error("`)`"));
                }
                Ok(())
            }
            Token::Name(name) => {
                let column = self.tokens[self.at].1;
                self.at += 1;
                if self.eat("(") {
                    let Some(f) = Function::named(&name) else {
                        return Err(ParseError {
                            column,
                            message: format!(
                                "a function ({}), found `{name}`",
                                Function::NAMES.join(", ")
                            ),
                        });
                    };
                    let mut count = 0;
                    loop {
                        self.expr()?;
                        count += 1;
                        if self.eat(",") {
                            continue;
                        }
                        if self.eat(")") {
                            break;
                        }
                        return Err(self.error("`,` or `)`"));
                    }
                    if count != f.arity() {
                        return Err(ParseError {
                            column,
                            message: format!(
                                "{} argument{} to `{name}`, found {count}",
                                f.arity(),
                                if f.arity() == 1 { "" } else { "s" }
                            ),
                        });
                    }
                    self.ops.push(Op::Call(f));
                    Ok(())
                } else if let Some(slot) = self.variables.iter().position(|v| *v == name) {
                    self.ops.push(Op::Var(slot));
                    Ok(())
                } else {
                    Err(ParseError {
                        column,
                        message: format!(
                            "a number, a function or one of the variables {}, found `{name}`",
                            self.variables.join(", ")
                        ),
                    })
                }
            }
            _ => Err(self.error("a number, a name or `(`")),
        }
    }
}
