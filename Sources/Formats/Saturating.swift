extension Int {
    /// A remote or app-controlled number as an Int, never trapping: NaN is 0, and values
    /// beyond Int's range are its bounds (the fractional part is dropped toward zero).
    package init(saturating value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= 9.223_372_036_854_775e18 {
            self = .max
        } else if value <= -9.223_372_036_854_775e18 {
            self = .min
        } else {
            self = Int(value)
        }
    }
}
