//! Calculator tools: an expression evaluator (see [`crate::expr`]: a parser, never `eval`) and the
//! four binary operations. Division by zero, overflow, NaN, absurd exponents, deep nesting and
//! oversized input are tool errors that say which, never a panic, an infinity or a hang.

use rmcp::{Json, handler::server::wrapper::Parameters, schemars, tool, tool_router};
use serde::{Deserialize, Serialize};

use crate::{
    error::UtilsError,
    expr::{self, format_number},
    server::UtilsServer,
};

/// Arguments of `calculator_calculate`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct CalculateArgs {
    /// Arithmetic expression, e.g. `(2 + 3) * 4 ^ 2 / sqrt(16) % 7`.
    pub expression: String,
}

/// Result of `calculator_calculate`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CalculateOutput {
    /// Always true for a result (failures are tool errors).
    pub success: bool,
    /// The expression as given.
    pub expression: String,
    /// The value (64-bit float; integers are exact up to 2^53).
    pub result: f64,
    /// The value for people: `8`, `0.3`, `6.02e23`.
    pub formatted: String,
}

/// Arguments of the binary operations.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct BinaryArgs {
    /// Left operand.
    pub a: f64,
    /// Right operand.
    pub b: f64,
}

/// Result of a binary operation.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct BinaryOutput {
    /// Always true for a result (failures are tool errors).
    pub success: bool,
    /// `add`, `subtract`, `multiply` or `divide`.
    pub operation: String,
    /// The value.
    pub result: f64,
    /// The value for people.
    pub formatted: String,
}

fn binary(operation: &str, a: f64, b: f64) -> Result<BinaryOutput, UtilsError> {
    let result = match operation {
        "add" => a + b,
        "subtract" => a - b,
        "multiply" => a * b,
        _ if b == 0.0 => {
            return Err(UtilsError::arg(
                "b",
                "division by zero: the divisor must not be 0",
            ));
        }
        _ => a / b,
    };
    if !result.is_finite() {
        return Err(UtilsError::Arithmetic(format!(
            "overflow: {operation} of {a} and {b} exceeds the largest representable number (about 1.8e308)"
        )));
    }
    Ok(BinaryOutput {
        success: true,
        operation: operation.to_owned(),
        result,
        formatted: format_number(result),
    })
}

#[tool_router(router = calculator_tools, vis = "pub(crate)")]
impl UtilsServer {
    /// Evaluate an arithmetic expression: `+ - * / ^ %` (also `× ÷ − **`), parentheses, unary
    /// minus, functions (abs, round, floor, ceil, trunc, min, max, sum, avg, pow, sqrt, cbrt, exp,
    /// ln, log, log10, log2, sin, cos, tan, asin, acos, atan, atan2, sinh, cosh, tanh, hypot,
    /// factorial) and constants (pi, e, tau). `^` binds tighter than unary minus: `-2^2 = -4`.
    /// Limits: UTILS_MAX_EXPRESSION_CHARS characters, 64 levels of nesting.
    /// Example: `{"expression": "sqrt(3^2 + 4^2) * 2"}` gives 10.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub fn calculator_calculate(
        &self,
        Parameters(args): Parameters<CalculateArgs>,
    ) -> Result<Json<CalculateOutput>, UtilsError> {
        match expr::evaluate(&args.expression, self.config.max_expression_chars) {
            Ok(result) => Ok(Json(CalculateOutput {
                success: true,
                formatted: format_number(result),
                expression: args.expression,
                result,
            })),
            Err(source) => {
                let mut expression = args.expression;
                if expression.chars().count() > 80 {
                    expression = expression.chars().take(77).collect::<String>() + "...";
                }
                Err(UtilsError::Expression { expression, source })
            }
        }
    }

    /// Add two numbers: `a + b`. Example: `{"a": 5, "b": 3}` gives 8.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub fn calculator_add(
        &self,
        Parameters(BinaryArgs { a, b }): Parameters<BinaryArgs>,
    ) -> Result<Json<BinaryOutput>, UtilsError> {
        binary("add", a, b).map(Json)
    }

    /// Subtract: `a - b`. Example: `{"a": 5, "b": 3}` gives 2.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub fn calculator_subtract(
        &self,
        Parameters(BinaryArgs { a, b }): Parameters<BinaryArgs>,
    ) -> Result<Json<BinaryOutput>, UtilsError> {
        binary("subtract", a, b).map(Json)
    }

    /// Multiply: `a * b`. Example: `{"a": 5, "b": 3}` gives 15.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub fn calculator_multiply(
        &self,
        Parameters(BinaryArgs { a, b }): Parameters<BinaryArgs>,
    ) -> Result<Json<BinaryOutput>, UtilsError> {
        binary("multiply", a, b).map(Json)
    }

    /// Divide: `a / b`; `b = 0` is an error, not infinity. Example: `{"a": 6, "b": 4}` gives 1.5.
    #[tool(annotations(
        read_only_hint = true,
        destructive_hint = false,
        idempotent_hint = true,
        open_world_hint = false
    ))]
    pub fn calculator_divide(
        &self,
        Parameters(BinaryArgs { a, b }): Parameters<BinaryArgs>,
    ) -> Result<Json<BinaryOutput>, UtilsError> {
        binary("divide", a, b).map(Json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_operations() {
        assert_eq!(binary("add", 5.0, 3.0).unwrap().result, 8.0);
        assert_eq!(binary("divide", 6.0, 4.0).unwrap().formatted, "1.5");
        let err = binary("divide", 1.0, 0.0).unwrap_err().to_string();
        assert_eq!(
            err,
            "invalid b: division by zero: the divisor must not be 0"
        );
        assert!(
            binary("multiply", 1e308, 10.0)
                .unwrap_err()
                .to_string()
                .starts_with("overflow")
        );
    }
}
